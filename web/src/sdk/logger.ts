/** A namespaced logger the host app may inject; the SDK itself never writes to the console. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
}

export const silentLogger: Logger = {
  debug() {},
  warn() {},
};
