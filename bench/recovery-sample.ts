/** One measured run of bench:recovery, as every scenario module returns it and the report reads it. */

export type Mode = 'fast' | 'naive';
export interface Sample {
  scenario: string;
  mode: Mode;
  toResumingInd: number | null;
  toResumeResult: number | null;
  /** change → A decodes B again, and B decodes A again */
  framesOnA: number | null;
  framesOnB: number | null;
  /** path restored → frames (cuts only) */
  pathBackToFramesA?: number | null;
  pathBackToFramesB?: number | null;
  /** CONF_RESUMING_IND after the change on A (1 expected) and on B (0 unless B's own network broke). */
  episodesOnA?: number;
  episodesOnB?: number;
  /** Namespace scenarios: the selected candidate pair(s) after the recovery, `local ⇄ remote` types. */
  pathA?: string;
  pathB?: string;
  /** Why the run could not be measured (its figures are null). */
  error?: string;
  /** Silent cut only: how long media was cut in this run (ms). */
  cutMs?: number;
  /**
   * Silent cut only. The owner is the side whose CONF_RESUMING_IND came (the earlier one if
   * both had one; with none, the pair's initiator); the other is the other side.
   */
  owner?: 'A' | 'B';
  /** The owner is the pair's initiator (the smaller userId), as the outage rule says. */
  ownerIsInitiator?: boolean;
  /** cut → the owner's CONF_RESUMING_IND `at`. */
  cutToNoticeOwner?: number | null;
  /** cut → the other side's remote tile gets `data-status="reconnecting"`. */
  cutToNoticeOther?: number | null;
  /** media restored → the owner's CONF_RESUME_RESULT. */
  restoreToResumeResult?: number | null;
  /** media restored → the owner decodes the other's video again, and the other the owner's. */
  restoreToFramesOwner?: number | null;
  restoreToFramesOther?: number | null;
  /** CONF_RESUMING_IND from the cut until just before the next one, per side and in total (1 expected). */
  episodesOnOwner?: number;
  episodesOnOther?: number;
  episodesTotal?: number;
}
