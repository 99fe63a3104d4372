/** OpenAI routes of the emulator (to be filled in). */
import type { Route, RouteContext } from "./Server.js"

/** The OpenAI routes. */
export const openAiRoutes = (_context: RouteContext): ReadonlyArray<Route> => []
