/**
 * The TSDK notification surface: every record, in order, to every subscriber, plus the history.
 * A throwing listener cannot break the others, and a listener that triggers another
 * notification does not reorder them for anyone (emissions are queued, then drained).
 */
import { type Observable, Subject } from 'rxjs';
import type { TsdkEventName, TsdkNotification } from '../../../shared/src/index.ts';
import type { Logger } from './logger.ts';

export type NotifyListener = (n: TsdkNotification) => void;

export class Notifier {
  readonly #subject = new Subject<TsdkNotification>();
  readonly #listeners = new Set<NotifyListener>();
  readonly #history: TsdkNotification[] = [];
  readonly #queue: TsdkNotification[] = [];
  #draining = false;

  /** Hot: every notification from subscription on, in order. */
  readonly notify$: Observable<TsdkNotification> = this.#subject.asObservable();

  constructor(
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Every notification so far, in order (a copy). */
  get history(): TsdkNotification[] {
    return [...this.#history];
  }

  onNotify(listener: NotifyListener): () => void {
    // Wrapped, so the same function may be registered twice and removed independently.
    const entry: NotifyListener = (n) => listener(n);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit<D>(event: TsdkEventName, param1: number, param2: number, data: D): TsdkNotification<D> {
    return this.publish({ event, param1, param2, data, at: this.now() });
  }

  /** Delivers a record made elsewhere (the resume pipeline stamps `at` on its own scheduler). */
  publish<D>(record: TsdkNotification<D>): TsdkNotification<D> {
    this.#history.push(record);
    this.#queue.push(record);
    if (!this.#draining) this.#drain();
    return record;
  }

  #drain(): void {
    this.#draining = true;
    try {
      for (let n = this.#queue.shift(); n; n = this.#queue.shift()) {
        // rxjs already isolates a throwing subscriber (reported asynchronously).
        this.#subject.next(n);
        for (const listener of [...this.#listeners]) {
          try {
            listener(n);
          } catch (err) {
            this.logger.warn('onNotify listener threw', err);
          }
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
