import type { TSDK_S_LOCAL_ADDRESS } from './payloads.ts';

/*
 * Checked by hand, not with zod: this runs in the browser SDK, whose bundle must stay small,
 * and the shape is two fields.
 */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

/** The value of `TSDK_E_CONFIG_LOCAL_ADDRESS` if it is well formed, else null. */
export function parseLocalAddress(value: unknown): TSDK_S_LOCAL_ADDRESS | null {
  if (typeof value !== 'object' || value === null) return null;
  const { ip_address, is_try_resume, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return null;
  if (typeof ip_address !== 'string' || typeof is_try_resume !== 'boolean') return null;
  if (!IPV4.test(ip_address) && !IPV6.test(ip_address)) return null;
  return { ip_address, is_try_resume };
}
