/**
 * The windows of a batched model: concurrent requests gather in an open window, which closes
 * `maxWait` after its first request, at `maxRequests`, or when the next request would pass the
 * byte limit; a closed window is submitted (by the mode's `submit`) in a fiber of the layer.
 * Each caller holds a ticket of its request: a caller that goes before its window is submitted
 * takes its request out; once a submitted window has no caller left, its submission is
 * interrupted (which cancels its provider batches).
 *
 * Joining and leaving are synchronous: a caller waits in `Effect.async`, joins in its
 * registration and leaves in its canceler (run only on interruption), and the window's fibers
 * are started with the layer's runtime. A waiting caller so costs one suspended fiber and a
 * callback, which matters at tens of thousands of concurrent calls.
 *
 * @since 0.2.0
 */
import { Context, type Duration, Effect, Exit, type Fiber, FiberId, Tracer } from "effect"
import type { AiError } from "../AiError.js"
import type { BatchRequest } from "../BatchData.js"
import type { ModelResponse } from "../Message.js"
import type { Tracker } from "./progress.js"

/**
 * How a waiting caller is resumed.
 *
 * @since 0.2.0
 * @category models
 */
export type Resume = (answer: Effect.Effect<ModelResponse, AiError>) => void

/**
 * One request in a window and the callers waiting on it (several in pending mode, whose
 * requests are keyed by their content).
 *
 * @since 0.2.0
 * @category models
 */
export interface Ticket {
  readonly customId: string
  readonly request: BatchRequest
  /** Upload bytes of the request (`BatchModel.encodedSize`). */
  readonly size: number
  readonly window: Window
  /** The callers waiting on the answer. */
  readonly resumes: Array<Resume>
  /** Whether the answer is in. */
  answered: boolean
}

/**
 * A window of requests, open, then submitted, then over.
 *
 * @since 0.2.0
 * @category models
 */
export interface Window {
  readonly tickets: Map<string, Ticket>
  bytes: number
  state: "open" | "submitted" | "over"
  /** Callers waiting on a submitted window. */
  waiters: number
  timer: Fiber.RuntimeFiber<void> | undefined
  submission: Fiber.RuntimeFiber<void> | undefined
  /** The span of the run that submitted it, which each caller's span links to. */
  span: Tracer.Span | undefined
  /** The provider batches its requests went in. */
  readonly batchIds: Array<string>
}

/**
 * Where windows close.
 *
 * @since 0.2.0
 * @category options
 */
export interface WindowLimits {
  readonly maxWait: Duration.Duration
  readonly maxRequests: number
  readonly maxBytes: number
}

/**
 * Starts an effect in a fiber of the layer (interrupted when the layer closes).
 *
 * @since 0.2.0
 * @category models
 */
export type Run = (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void>

/**
 * The windows of one layer.
 *
 * @since 0.2.0
 * @category models
 */
export interface Windows {
  /** Puts the request in the open window (opening one, closing a full one); `resume` is called with its answer. */
  readonly join: (customId: string, request: BatchRequest, size: number, resume: Resume) => Ticket
  /** The caller of `resume` was interrupted before its answer. */
  readonly leave: (ticket: Ticket, resume: Resume) => void
  /** Closes the open window now. */
  readonly flush: Effect.Effect<void>
  /** The layer closes: the callers of the open window are interrupted (submitted ones are, as their submission is). */
  readonly shutdown: Effect.Effect<void>
}

/**
 * Answers every caller of a ticket once, and moves its count from in flight to done or failed.
 *
 * @since 0.2.0
 * @category utils
 */
export const settle = (tracker: Tracker, ticket: Ticket, exit: Exit.Exit<ModelResponse, AiError>): void => {
  if (ticket.answered) return
  ticket.answered = true
  const resumes = ticket.resumes.splice(0)
  for (const resume of resumes) resume(exit)
  if (resumes.length === 0) return
  tracker.counts.inFlight -= 1
  if (Exit.isSuccess(exit)) tracker.counts.done += 1
  else if (!Exit.isInterrupted(exit)) tracker.counts.failed += 1
}

/**
 * The windows of one layer; `submit` runs in a fiber of the layer (`run`) for each window that
 * closes with a request in it, and must settle every ticket of the window.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWindows = (
  limits: WindowLimits,
  run: Run,
  tracker: Tracker,
  submit: (window: Window) => Effect.Effect<void>
): Windows => {
  let open: Window | undefined
  const counts = tracker.counts

  const interruptAll = (window: Window) => {
    for (const ticket of window.tickets.values()) settle(tracker, ticket, Exit.interrupt(FiberId.none))
    tracker.changed()
  }

  const close = (window: Window): void => {
    if (window.state !== "open") return
    window.state = "submitted"
    if (open === window) open = undefined
    window.timer?.unsafeInterruptAsFork(FiberId.none)
    if (window.tickets.size === 0) {
      window.state = "over"
      return
    }
    let waiters = 0
    for (const ticket of window.tickets.values()) waiters += ticket.resumes.length
    window.waiters = waiters
    counts.queued -= window.tickets.size
    counts.inFlight += window.tickets.size
    tracker.changed()
    // the submission belongs to the layer: no caller's parent span, interruptible, and whoever
    // still waits when it is stopped (nobody waits, or the layer closed) is interrupted too
    window.submission = run(submit(window).pipe(
      Effect.interruptible,
      Effect.onInterrupt(() => Effect.sync(() => interruptAll(window))),
      Effect.ensuring(Effect.sync(() => { window.state = "over" })),
      Effect.mapInputContext((context: Context.Context<never>) => Context.omit(Tracer.ParentSpan)(context))
    ))
  }

  const opened = (): Window => {
    const window: Window = { tickets: new Map(), bytes: 0, state: "open", waiters: 0, timer: undefined, submission: undefined, span: undefined, batchIds: [] }
    open = window
    window.timer = run(Effect.interruptible(Effect.zipRight(Effect.sleep(limits.maxWait), Effect.sync(() => close(window)))))
    return window
  }

  const join = (customId: string, request: BatchRequest, size: number, resume: Resume): Ticket => {
    let window = open
    // the same request already waiting in the open window (pending mode's keys): share it
    const same = window?.tickets.get(customId)
    if (same !== undefined) {
      same.resumes.push(resume)
      return same
    }
    if (window !== undefined && window.tickets.size > 0 && window.bytes + size > limits.maxBytes) close(window)
    if (open === undefined) window = opened()
    else window = open
    const ticket: Ticket = { customId, request, size, window, resumes: [resume], answered: false }
    window.tickets.set(customId, ticket)
    window.bytes += size
    counts.queued += 1
    if (window.tickets.size >= limits.maxRequests) close(window)
    return ticket
  }

  const leave = (ticket: Ticket, resume: Resume): void => {
    const window = ticket.window
    if (ticket.answered || window.state === "over") return
    const at = ticket.resumes.indexOf(resume)
    if (at < 0) return
    ticket.resumes.splice(at, 1)
    if (window.state === "open") {
      if (ticket.resumes.length === 0) {
        window.tickets.delete(ticket.customId)
        window.bytes -= ticket.size
        counts.queued -= 1
        tracker.changed()
      }
      return
    }
    // submitted, unanswered
    if (ticket.resumes.length === 0) {
      counts.inFlight -= 1
      tracker.changed()
    }
    window.waiters -= 1
    // nobody waits on the window any more: stop it, which cancels its batches (in the layer's
    // fiber: a caller falling back to a direct call does not wait for the cancel)
    if (window.waiters === 0) window.submission?.unsafeInterruptAsFork(FiberId.none)
  }

  const shutdown = Effect.sync(() => {
    const window = open
    if (window === undefined) return
    open = undefined
    window.state = "over"
    window.timer?.unsafeInterruptAsFork(FiberId.none)
    // queued to in flight, which settling then counts out
    counts.queued -= window.tickets.size
    counts.inFlight += window.tickets.size
    interruptAll(window)
  })

  return { join, leave, flush: Effect.sync(() => { if (open !== undefined) close(open) }), shutdown }
}
