/**
 * `Stream.unwrap` and `Stream.unwrapScoped` without their cost per chunk. Both are a
 * `Stream.flatten` of a one-element stream: a `flatMap` through which every chunk of the
 * inner stream passes one more channel executor, with its reads, continuations and exits.
 * When a model streams tokens, a read holds one event, so that cost is paid per event: with
 * an event stream's three such layers it was most of what the library allocated (about
 * 10 KB an event at 1,000 concurrent streams). Sequencing the effect before the inner
 * stream's channel (`Channel.unwrap`) hands its chunks straight on.
 */
import { Channel, Effect, Scope, Stream } from "effect"

/** As `Stream.unwrap`. */
export const unwrap = <A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>
): Stream.Stream<A, E | E2, R | R2> => Stream.fromChannel(Channel.unwrap(Effect.map(effect, Stream.toChannel)))

/** As `Stream.unwrapScoped`: the effect's `Scope` closes when the stream ends, however it ends. */
export const unwrapScoped = <A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>
): Stream.Stream<A, E | E2, Exclude<R, Scope.Scope> | R2> =>
  Stream.fromChannel(
    Channel.acquireUseRelease(
      Scope.make(),
      (scope) => Channel.unwrap(Effect.map(Scope.extend(effect, scope), Stream.toChannel)),
      (scope, exit) => Scope.close(scope, exit)
    )
  )
