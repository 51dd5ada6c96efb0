import { describe, expect, it } from 'vitest';
import { deepLink } from '../../../web/src/app/views/join-form.ts';

describe('deepLink', () => {
  it('reads room and display name', () => {
    expect(deepLink('?room=r1&name=Ann%20Lee')).toEqual({ room: 'r1', name: 'Ann Lee' });
  });
  it('needs both', () => {
    expect(deepLink('?room=r1')).toBeNull();
    expect(deepLink('?name=A')).toBeNull();
    expect(deepLink('?room=%20&name=A')).toBeNull();
  });
});
