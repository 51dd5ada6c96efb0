/**
 * `resume-meeting/testing`: the network faults and the namespace lab this project's own resume
 * tests are built on, for a team testing its meeting app with Playwright (docs/sdk.md, "Testing
 * your app's resume"). From the cheapest fault to the most real: offline emulation, a media cut
 * with signaling alive, then a lab of network namespaces where A's IP address really changes,
 * its interface switches, a dual-homed A loses one of two, or its UDP is dropped (root only; `netnsSkipReason()` says why not).
 */
export { CHROMIUM_ARGS, chromiumLaunchOptions, chromiumPath } from './chromium.ts';
export type { NetnsLabOptions } from './netns.ts';
export {
  blackholeUdp,
  type CandidateEnd,
  changeIp,
  cutMedia,
  dualHome,
  expect,
  gatheredCandidates,
  goOffline,
  LAB_ADDRESSES,
  loseInterface,
  type MediaCut,
  type NetChange,
  NetnsLab,
  type NetworkFixtures,
  type NetworkOptions,
  netnsSkipReason,
  netnsSupport,
  type PeerConnectionEvent,
  peerConnectionLog,
  prepareMediaCut,
  recordPeerConnections,
  restoreMedia,
  type SelectedPair,
  selectedCandidatePairs,
  switchInterface,
  test,
  type UdpBlackhole,
} from './network.ts';
