/**
 * Our camera and microphone: started once, shared by every peer link (a rebuilt link sends the
 * same tracks), stopped when the client closes. Without a camera the mesh only receives.
 */
import { BehaviorSubject, type Observable } from 'rxjs';

function defaultGetUserMedia(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: true, audio: true });
}

export class LocalMedia {
  readonly #getUserMedia: () => Promise<MediaStream>;
  readonly #stream = new BehaviorSubject<MediaStream | null>(null);
  #starting: Promise<MediaStream | null> | null = null;
  #settled = false;
  #stopped = false;
  readonly stream$: Observable<MediaStream | null> = this.#stream.asObservable();

  constructor(getUserMedia: (() => Promise<MediaStream>) | undefined) {
    this.#getUserMedia = getUserMedia ?? defaultGetUserMedia;
  }

  get stream(): MediaStream | null {
    return this.#stream.value;
  }

  /** Whether starting has finished (with a stream or without one): links can be made. */
  get settled(): boolean {
    return this.#settled;
  }

  /**
   * Starts the camera and microphone once; later calls return the same promise. Resolves with
   * null when media is unavailable; `onSettled` runs once, when links can be made.
   */
  start(onSettled: () => void): Promise<MediaStream | null> {
    this.#starting ??= this.#getUserMedia()
      .then(
        (stream) => stream,
        () => null,
      )
      .then((stream) => {
        this.#settled = true;
        if (this.#stopped) {
          for (const t of stream?.getTracks() ?? []) t.stop();
          return null;
        }
        this.#stream.next(stream);
        onSettled();
        return stream;
      });
    return this.#starting;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.#stream.next(null);
    this.#stream.complete();
  }
}
