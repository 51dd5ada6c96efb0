/**
 * `POST` here (HTTP, not the socket) is a closing page's `navigator.sendBeacon`: the one send a
 * browser still delivers once the page is gone, where a WebSocket frame written in `pagehide` may
 * die with the page (Firefox, about one close in eight). The body (`leaveBeaconSchema`) names the
 * session by its resume token, which it consumes: that participant leaves every conference and
 * the login session ends, at once, instead of a seat held for the whole resume window.
 */
export const LEAVE_BEACON_PATH = '/leave';
