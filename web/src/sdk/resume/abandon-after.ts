/**
 * The TSDK 60 s rule as an operator: mirror the source until `deadline` (scheduler time), then
 * drop it and emit what `abandon` returns instead. If the source ends first, nothing happens.
 */
import {
  asyncScheduler,
  from,
  type MonoTypeOperatorFunction,
  Observable,
  type ObservableInput,
  type SchedulerLike,
  Subscription,
} from 'rxjs';

export interface AbandonOptions<T> {
  /** Absolute scheduler time at which to give up. */
  deadline: number;
  scheduler?: SchedulerLike;
  /** What to emit instead, evaluated at the deadline. */
  abandon: () => ObservableInput<T>;
}

export function abandonAfter<T>(options: AbandonOptions<T>): MonoTypeOperatorFunction<T> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      const subscriptions = new Subscription();
      let sourceSub: Subscription | null = null;
      // Scheduled before subscribing: a source that ends synchronously must cancel it.
      const timer = scheduler.schedule(
        () => {
          sourceSub?.unsubscribe();
          subscriptions.add(from(options.abandon()).subscribe(subscriber));
        },
        Math.max(0, options.deadline - scheduler.now()),
      );
      subscriptions.add(timer);
      sourceSub = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (err) => {
          timer.unsubscribe();
          subscriber.error(err);
        },
        complete: () => {
          timer.unsubscribe();
          subscriber.complete();
        },
      });
      subscriptions.add(sourceSub);
      return subscriptions;
    });
}
