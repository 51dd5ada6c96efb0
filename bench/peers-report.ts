/**
 * bench:peers' tables and chart: per scenario and side, the product's and PeerJS's "network back →
 * frames" (median, min–max, runs that never recovered), and the ratio of the medians (PeerJS /
 * ours); how late each side's audio then played; an SVG of the share of runs with frames back
 * against time, one panel per scenario.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIO_WINDOW_MS } from './audio-delay.ts';
import { GAP_MS, STEADY_MS } from './frame-times.ts';
import type { PeerSample, PeerSystem } from './peers-run.ts';
import { NEVER_AFTER_MS } from './peers-run.ts';
import { ratioText, summarize } from './stats.ts';
import { lineChart, type Panel } from './svg-chart.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SIDES = [
  ['A', 'framesOnA'],
  ['B', 'framesOnB'],
] as const;

export interface PeerRow {
  scenario: string;
  side: 'A' | 'B';
  ours: Cell;
  peerjs: Cell;
  /** PeerJS median / ours (null when either never recovered in most runs). */
  ratio: number | null;
}

interface Cell {
  runs: number;
  never: number;
  errors: number;
  median: number | null;
  min: number | null;
  max: number | null;
}

function cell(samples: PeerSample[], key: 'framesOnA' | 'framesOnB'): Cell {
  const measured = samples.filter((s) => !s.error);
  const values = measured.flatMap((s) => (s[key] === null ? [] : [s[key] as number]));
  const never = measured.length - values.length;
  // A median of runs that recovered hides the ones that never did: none when most never did.
  const stats = values.length > never ? summarize(values) : null;
  return {
    runs: measured.length,
    never,
    errors: samples.length - measured.length,
    median: stats?.median ?? null,
    min: stats?.min ?? null,
    max: stats?.max ?? null,
  };
}

export function peerRows(samples: PeerSample[], scenarios: readonly string[]): PeerRow[] {
  const of = (system: PeerSystem, scenario: string) =>
    samples.filter((s) => s.system === system && s.scenario === scenario);
  return scenarios.flatMap((scenario) =>
    SIDES.map(([side, key]) => {
      const ours = cell(of('ours', scenario), key);
      const peerjs = cell(of('peerjs', scenario), key);
      const ratio = ours.median && peerjs.median !== null ? peerjs.median / ours.median : null;
      return { scenario, side, ours, peerjs, ratio };
    }),
  );
}

const fmt = (c: Cell) => {
  if (c.runs === 0) return c.errors ? `failed ×${c.errors}` : '—';
  const parts = [
    ...(c.median === null ? [] : [`${Math.round(c.median)} (${c.min}–${c.max})`]),
    ...(c.never ? [`never ×${c.never}`] : []),
    ...(c.errors ? [`failed ×${c.errors}`] : []),
  ];
  return parts.join(', ');
};

export function peerTable(rows: PeerRow[], samples: PeerSample[], runs: number): string[] {
  const episodes = (scenario: string) => {
    const ours = samples.filter((s) => s.system === 'ours' && s.scenario === scenario && !s.error);
    const a = ours.map((s) => s.episodesOnA ?? 0);
    const b = ours.map((s) => s.episodesOnB ?? 0);
    return ours.length ? `A ${a.join(',')} / B ${b.join(',')}` : '—';
  };
  return [
    `The product and PeerJS (peerjs ${pkgVersion('peerjs')}, peer ${pkgVersion('peer')}; its documented recovery) in the same namespace lab, same run, same fake camera. ${runs} runs per system and scenario, interleaved. Time from the network being whole again (the change done, the link up, UDP forwarded again; dual-homed: the first interface gone, the second was up all along) to video back on that side, ms: the first frame presented (requestVideoFrameCallback) after which frames kept coming without a ${GAP_MS} ms gap for ${STEADY_MS / 1000} s, so frames in flight at the break never count. Median (min–max); "never": not within ${NEVER_AFTER_MS / 1000} s. Ratio: PeerJS median / ours.`,
    '',
    '| change | side | ours | PeerJS | ratio | our TSDK episodes per run |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | frames on ${r.side} | ${fmt(r.ours)} | ${fmt(r.peerjs)} | ${r.ratio === null ? '—' : ratioText(r.ratio)} | ${r.side === 'A' ? episodes(r.scenario) : ''} |`,
    ),
  ];
}

/** How late each side played the other's audio after the change, ours against PeerJS (audio-delay.ts). */
export function audioTable(samples: PeerSample[], scenarios: readonly string[]): string[] {
  const late = (system: PeerSystem, scenario: string, key: 'audioLateOnA' | 'audioLateOnB') => {
    const values = samples.flatMap((s) =>
      s.system === system && s.scenario === scenario && typeof s[key] === 'number' ? [s[key] as number] : [],
    );
    const stats = values.length ? summarize(values) : null;
    return stats ? `${Math.round(stats.median)} (${stats.min}–${stats.max})` : '—';
  };
  const { from, to } = AUDIO_WINDOW_MS;
  return [
    `How late each side played the other's audio ${from / 1000}–${to / 1000} s after the network was whole again, ms: the mean time a sample waited in the receiver's jitter buffer (inbound-rtp audio jitterBufferDelay / jitterBufferEmittedCount over that window), median (min–max) over the runs; —: no audio played then (the call was not back). About 20–60 ms is a healthy call; more is what a queue delivered late and is still being played.`,
    '',
    '| change | on A: ours | on A: PeerJS | on B: ours | on B: PeerJS |',
    '|---|---|---|---|---|',
    ...scenarios.map(
      (sc) =>
        `| ${sc} | ${late('ours', sc, 'audioLateOnA')} | ${late('peerjs', sc, 'audioLateOnA')} | ${late('ours', sc, 'audioLateOnB')} | ${late('peerjs', sc, 'audioLateOnB')} |`,
    ),
  ];
}

function pkgVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/** Share of runs with frames back on both sides against time since the network was back. */
export function peerChart(samples: PeerSample[], scenarios: readonly string[], measuredAt: string): string {
  const curve = (system: PeerSystem, scenario: string): [number, number][] => {
    const runs = samples.filter((s) => s.system === system && s.scenario === scenario && !s.error);
    const done = runs
      .flatMap((s) =>
        s.framesOnA === null || s.framesOnB === null ? [] : [Math.max(s.framesOnA, s.framesOnB, 10)],
      )
      .sort((x, y) => x - y);
    return [[10, 0], ...done.map((t, i): [number, number] => [t, (i + 1) / Math.max(1, runs.length)])];
  };
  const panels: Panel[] = scenarios.map((scenario) => ({
    title: scenario,
    series: [
      { label: 'ours', color: '#1f6feb', points: curve('ours', scenario) },
      { label: 'PeerJS', color: '#d1242f', points: curve('peerjs', scenario) },
    ],
  }));
  return lineChart({
    title: 'Network back → video again on both sides: the product and PeerJS, same lab, same run',
    subtitle: `Share of runs with frames decoding again on both sides; a run that never recovered stays off the curve. ${measuredAt}`,
    xLabel: 'time since the network was whole again (log scale)',
    yLabel: 'runs recovered',
    x: {
      min: 10,
      max: NEVER_AFTER_MS,
      log: true,
      ticks: [10, 100, 1_000, 10_000, 60_000],
      format: (v) => (v >= 1_000 ? `${v / 1_000} s` : `${v} ms`),
    },
    y: { min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1], format: (v) => `${Math.round(v * 100)} %` },
    panels,
    columns: Math.min(2, panels.length),
  });
}
