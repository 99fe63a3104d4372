/**
 * The windows of a batched model: concurrent requests gather in an open window, which closes
 * `maxWait` after its first request, at `maxRequests`, or when the next request would pass the
 * byte limit; a closed window is submitted (by the mode's `submit`) in a fiber of the layer's
 * scope. Each caller holds a ticket of its request: a caller that goes before its window is
 * submitted takes its request out; once a submitted window has no caller left, its submission
 * is interrupted (which cancels its provider batches).
 *
 * @since 0.2.0
 */
import { Context, Deferred, type Duration, Effect, Exit, Fiber, FiberId, type Scope, Tracer } from "effect"
import type { AiError } from "../AiError.js"
import type { BatchRequest } from "../BatchData.js"
import type { ModelResponse } from "../Message.js"
import type { Tracker } from "./progress.js"

/**
 * One request in a window and its answer; callers of the same request share it (pending mode).
 *
 * @since 0.2.0
 * @category models
 */
export interface Ticket {
  readonly customId: string
  readonly request: BatchRequest
  /** Upload bytes of the request (`BatchModel.encodedSize`). */
  readonly size: number
  readonly answer: Deferred.Deferred<ModelResponse, AiError>
  readonly window: Window
  /** Callers waiting on the answer. */
  callers: number
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
 * The windows of one layer.
 *
 * @since 0.2.0
 * @category models
 */
export interface Windows {
  /** Puts the request in the open window (opening one, closing a full one) and returns its ticket. */
  readonly join: (customId: string, request: BatchRequest, size: number) => Effect.Effect<Ticket>
  /** The caller of `ticket` goes (answered, interrupted, or falling back to a direct call). */
  readonly leave: (ticket: Ticket) => Effect.Effect<void>
  /** Closes the open window now. */
  readonly flush: Effect.Effect<void>
  /** The layer closes: the callers of the open window are interrupted (submitted ones are, as their submission is). */
  readonly shutdown: Effect.Effect<void>
}

/**
 * Completes a ticket's answer once, and moves its count from in flight to done or failed.
 *
 * @since 0.2.0
 * @category utils
 */
export const settle = (tracker: Tracker, ticket: Ticket, exit: Exit.Exit<ModelResponse, AiError>): void => {
  if (ticket.answered) return
  ticket.answered = true
  Deferred.unsafeDone(ticket.answer, exit)
  if (ticket.callers === 0) return
  tracker.counts.inFlight -= 1
  if (Exit.isSuccess(exit)) tracker.counts.done += 1
  else if (!Exit.isInterrupted(exit)) tracker.counts.failed += 1
}

/**
 * The windows of one layer; `submit` runs in a fiber of `scope` for each window that closes
 * with a request in it, and must settle every ticket of the window.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWindows = (
  limits: WindowLimits,
  scope: Scope.Scope,
  tracker: Tracker,
  submit: (window: Window) => Effect.Effect<void>
): Windows => {
  let open: Window | undefined
  const counts = tracker.counts

  const close = (window: Window): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (window.state !== "open") return Effect.void
      window.state = "submitted"
      if (open === window) open = undefined
      const timer = window.timer
      const stopTimer = timer === undefined ? Effect.void : Fiber.interruptFork(timer)
      if (window.tickets.size === 0) {
        window.state = "over"
        return stopTimer
      }
      let waiters = 0
      for (const ticket of window.tickets.values()) waiters += ticket.callers
      window.waiters = waiters
      counts.queued -= window.tickets.size
      counts.inFlight += window.tickets.size
      tracker.changed()
      // the submission belongs to the layer, not to the caller or timer that closed the window:
      // no parent span of theirs, and interruptible even though a join (the acquire of a
      // caller's ticket, uninterruptible) forks it
      const submission = submit(window).pipe(
        Effect.interruptible,
        // stopped (nobody waits, or the layer closed): whoever still waits is interrupted too
        Effect.onInterrupt(() => Effect.sync(() => interruptAll(window))),
        Effect.ensuring(Effect.sync(() => { window.state = "over" })),
        Effect.mapInputContext((context: Context.Context<never>) => Context.omit(Tracer.ParentSpan)(context))
      )
      return Effect.zipRight(
        stopTimer,
        Effect.flatMap(Effect.forkIn(submission, scope), (fiber) =>
          Effect.suspend(() => {
            window.submission = fiber
            // every caller went while the fiber was being forked
            return window.waiters === 0 ? Fiber.interruptFork(fiber) : Effect.void
          }))
      )
    })

  const interruptAll = (window: Window) => {
    for (const ticket of window.tickets.values()) settle(tracker, ticket, Exit.interrupt(FiberId.none))
    tracker.changed()
  }

  const opened = (): Effect.Effect<Window> =>
    Effect.suspend(() => {
      const window: Window = { tickets: new Map(), bytes: 0, state: "open", waiters: 0, timer: undefined, submission: undefined, span: undefined, batchIds: [] }
      open = window
      return Effect.as(
        Effect.flatMap(
          Effect.forkIn(Effect.interruptible(Effect.zipRight(Effect.sleep(limits.maxWait), close(window))), scope),
          (fiber) => Effect.sync(() => { if (window.state === "open") window.timer = fiber })
        ),
        window
      )
    })

  const join = (customId: string, request: BatchRequest, size: number): Effect.Effect<Ticket> =>
    Effect.suspend(() => {
      const current = open
      // the same request already waiting in the open window (pending mode's keys): share it
      const same = current?.tickets.get(customId)
      if (same !== undefined) {
        same.callers += 1
        return Effect.succeed(same)
      }
      const full = current !== undefined && current.tickets.size > 0 && current.bytes + size > limits.maxBytes
      const window = current === undefined || full ? Effect.zipRight(full ? close(current) : Effect.void, opened()) : Effect.succeed(current)
      return Effect.flatMap(window, (w) => {
        const ticket: Ticket = { customId, request, size, answer: Deferred.unsafeMake(FiberId.none), window: w, callers: 1, answered: false }
        w.tickets.set(customId, ticket)
        w.bytes += size
        counts.queued += 1
        return w.tickets.size >= limits.maxRequests ? Effect.as(close(w), ticket) : Effect.succeed(ticket)
      })
    })

  const leave = (ticket: Ticket): Effect.Effect<void> =>
    Effect.suspend(() => {
      const window = ticket.window
      if (ticket.answered || window.state === "over") return Effect.void
      ticket.callers -= 1
      if (window.state === "open") {
        if (ticket.callers === 0) {
          window.tickets.delete(ticket.customId)
          window.bytes -= ticket.size
          counts.queued -= 1
          tracker.changed()
        }
        return Effect.void
      }
      // submitted, unanswered
      if (ticket.callers === 0) {
        counts.inFlight -= 1
        tracker.changed()
      }
      window.waiters -= 1
      const submission = window.submission
      // nobody waits on the window any more: stop it, which cancels its batches (in the
      // layer's scope: a caller falling back to a direct call does not wait for the cancel)
      return window.waiters === 0 && submission !== undefined ? Fiber.interruptFork(submission) : Effect.void
    })

  const shutdown = Effect.sync(() => {
    const window = open
    if (window === undefined) return
    open = undefined
    window.state = "over"
    // queued to in flight, which settling then counts out
    counts.queued -= window.tickets.size
    counts.inFlight += window.tickets.size
    interruptAll(window)
  })

  return { join, leave, flush: Effect.suspend(() => (open === undefined ? Effect.void : close(open))), shutdown }
}
