/** Anthropic routes of the emulator (to be filled in). */
import type { Route, RouteContext } from "./Server.js"

/** The Anthropic routes. */
export const anthropicRoutes = (_context: RouteContext): ReadonlyArray<Route> => []
