import { bfDb } from "@bfmono/apps/bfDb/bfDb.ts";
import {
  JOB_CANCEL_CHANNEL,
  JOB_CHANNEL,
  parseJobNotice,
} from "@bfmono/apps/bfDb/jobs/jobStates.ts";
import {
  DEFAULT_QUEUE,
  MAX_DISCOVERED_QUEUES,
  waitingQueues,
} from "@bfmono/apps/bfDb/jobs/claimJobs.ts";
import type { ReapOutcome } from "@bfmono/apps/bfDb/jobs/reapExpiredJobs.ts";
import { BfJob } from "@bfmono/apps/bfDb/nodeTypes/BfJob.ts";
import {
  listQueueSettings,
  QUEUE_CHANNEL,
  type QueueSettings,
} from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import {
  ANY_QUEUE,
  registerWorker,
  renewWorker,
  unregisterWorker,
} from "@bfmono/apps/bfDb/jobs/workerRegistry.ts";
import type { Unlisten } from "@bfmono/apps/bfDb/storage/BfDbBackend.ts";
import { createLogger, type Logger } from "@bfmono/packages/logger/logger.ts";
import { JobAbort } from "./abortReasons.ts";
import type { JobHandler } from "./handler.ts";
import { jobLogger } from "./jobLogger.ts";
import { runJob } from "./jobRunner.ts";
import type { DutyHooks } from "./duties/dutyHooks.ts";
import { Heartbeat } from "./duties/heartbeat.ts";
import { Periodic } from "./duties/periodic.ts";
import { prunerDuty } from "./duties/pruner.ts";
import { vacuumerDuty } from "./duties/vacuumer.ts";
import { reaperDuty } from "./duties/reaper.ts";
import { schedulerDuty } from "./duties/scheduler.ts";
import { checkScheduleDefinition } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import type { ScheduleDefinition } from "./schedule.ts";
import {
  DEFAULT_LOOP_CONFIG,
  POLL_INTERVAL_WITHOUT_LISTEN_MS,
  type WorkerLoopConfig,
} from "./loopConfig.ts";
import { WorkerMetrics } from "./metrics.ts";
import { HandlerRegistry } from "./registry.ts";
import { PrefetchPacer } from "./prefetchPacer.ts";
import { DEFAULT_SETTLE_BATCH, Settler } from "./settler.ts";
import type { StandardSchemaV1 } from "./standardSchema.ts";

/** What `startWorker` needs: handlers and settings; bfDb must already have a migrated backend. */
export interface StartWorkerOptions {
  handlers: readonly JobHandler<StandardSchemaV1>[];
  config?: Partial<WorkerLoopConfig>;
  logger?: Logger;
  workerId?: string;
  /** Schedules to store and fire (only those whose type has a handler here); none by default. */
  schedules?: readonly ScheduleDefinition[];
}

/** How soon a worker tries again a queue whose global limit held its last claim back. */
const HELD_BACK_RETRY_MS = 100;

/** How often the worker re-reads its queues' settings when no notification says they changed. */
const QUEUE_SETTINGS_REFRESH_MS = 1_000;

/**
 * Finished jobs not yet written at which the worker stops claiming, in settle batches: enough
 * to keep a write in flight while the next fills, few enough that the backlog is written well
 * within a lease even when the database is slow.
 */
const MAX_UNSETTLED_BATCHES = 4;

interface RunningJob {
  job: BfJob;
  controller: AbortController;
  /** When it was launched (performance.now()): its lease check and its timeout count from it. */
  claimedAt: number;
}

/** A running worker: claims, runs and settles jobs until stopped. */
export class Worker {
  readonly id: string;
  readonly metrics = new WorkerMetrics();
  readonly registry: HandlerRegistry;
  readonly config: WorkerLoopConfig;
  readonly logger: Logger;
  /** Running jobs, in the order they were launched (a Map keeps insertion order). */
  readonly #running = new Map<string, RunningJob>();
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  /** Jobs claimed ahead (status `claimed`), started as slots free up. */
  #buffer: { job: BfJob; claimedAt: number }[] = [];
  readonly #pacer: PrefetchPacer;
  readonly #settler: Settler;
  readonly #duties: { stop(maxWaitMs?: number): Promise<void> }[] = [];
  readonly #heartbeat: Heartbeat;
  readonly #schedules: readonly ScheduleDefinition[];
  #unlisten: Unlisten | undefined;
  #stopping = false;
  #mayHaveWork = true;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #databaseReachable = true;
  #consecutiveErrors = 0;
  /** Whether the last claim of a queue with a limit was cut short by it. */
  #heldBack = false;
  /** Settings of the queues this worker serves that have any, by queue (refreshed every second). */
  #managed = new Map<string, QueueSettings>();
  /**
   * The queues claimed from: those configured, or, serving every queue, each queue seen with
   * jobs since the start (kept once seen, so a queue that empties is claimed from at once when
   * its next job comes).
   */
  #served: string[];
  #tooManyQueuesLogged = false;
  readonly #maxUnsettled: number;
  /** Whether the poll interval was given; if not, it is shorter where LISTEN is impossible. */
  readonly #pollIntervalGiven: boolean;

  constructor(options: StartWorkerOptions) {
    this.id = options.workerId ?? `worker-${crypto.randomUUID()}`;
    this.registry = new HandlerRegistry(options.handlers);
    const given = options.config ?? {};
    this.#pollIntervalGiven = given.pollIntervalMs !== undefined;
    this.config = {
      concurrency: given.concurrency ?? DEFAULT_LOOP_CONFIG.concurrency,
      jobTimeoutMs: given.jobTimeoutMs ?? DEFAULT_LOOP_CONFIG.jobTimeoutMs,
      leaseMs: given.leaseMs ?? DEFAULT_LOOP_CONFIG.leaseMs,
      pollIntervalMs: given.pollIntervalMs ??
        DEFAULT_LOOP_CONFIG.pollIntervalMs,
      shutdownGraceMs: given.shutdownGraceMs ??
        DEFAULT_LOOP_CONFIG.shutdownGraceMs,
      prefetch: given.prefetch ?? DEFAULT_LOOP_CONFIG.prefetch,
      retention: given.retention ?? DEFAULT_LOOP_CONFIG.retention,
      queues: given.queues ?? DEFAULT_LOOP_CONFIG.queues,
      queueSlots: given.queueSlots ?? DEFAULT_LOOP_CONFIG.queueSlots,
    };
    this.#served = this.config.queues === "every"
      ? [DEFAULT_QUEUE]
      : [...this.config.queues];
    this.logger = (options.logger ??
      createLogger({ service: "collector", environment: "development" }))
      .child({ workerId: this.id });
    this.#pacer = new PrefetchPacer(
      this.config.prefetch,
      undefined,
      this.config.concurrency,
    );
    this.#settler = new Settler({
      workerId: this.id,
      logger: this.logger,
      metrics: this.metrics,
      onWritten: () => {
        // A settle frees a slot of a queue with a global limit: look again.
        if (this.#managed.size > 0) this.#mayHaveWork = true;
        this.#wake?.();
      },
    });
    this.#maxUnsettled = MAX_UNSETTLED_BATCHES * DEFAULT_SETTLE_BATCH;
    const types = new Set(this.registry.types);
    // A bad definition fails the start, not the first firing.
    for (const schedule of options.schedules ?? []) {
      checkScheduleDefinition(schedule);
    }
    this.#schedules = (options.schedules ?? []).filter((s) =>
      types.has(s.type)
    );
    this.#heartbeat = new Heartbeat({
      ...this.#dutyHooks(),
      workerId: this.id,
      leaseMs: this.config.leaseMs,
      heldIds: () => [
        ...this.#running.keys(),
        ...this.#buffer.map((b) => b.job.id),
      ],
      onRenewed: (held, sentAt) => this.#onRenewed(held, sentAt),
      beforeRenewal: () =>
        this.#unlisten || !bfDb.backend.notifications
          ? Promise.resolve()
          : this.#listen(),
      renewRegistration: async () => {
        const found = await renewWorker(
          this.id,
          this.config.leaseMs,
          this.#running.size,
        );
        if (!found && !this.#stopping) await this.#register();
      },
    });
  }

  /** What every duty reports through. */
  #dutyHooks(): DutyHooks {
    return {
      onError: (duty, error) => this.#databaseError(duty, error),
      onOk: () => this.#databaseOk(),
      // A duty with no answer in time is reported (so an outage is logged and
      // `databaseReachable` says so) but never started again while its run is still open.
      dutyTimeoutMs: Math.min(10_000, Math.max(1_000, this.config.leaseMs)),
    };
  }

  /** Jobs running now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /**
   * The most finished jobs this worker can hold unwritten: claiming stops at `maxUnsettled`,
   * and the jobs already running or claimed ahead may still finish after that.
   */
  get unsettledBound(): number {
    return this.#maxUnsettled + this.config.concurrency + this.config.prefetch;
  }

  /** The largest number of finished jobs this worker has held unwritten at once. */
  get peakUnsettled(): number {
    return this.#settler.peakBacklog;
  }

  /** Starts listening, the maintenance duties and the claim loop. */
  async start(): Promise<void> {
    // An application that never called bfDb.use gets the environment's database.
    const backend = await bfDb.ready();
    if (!backend.notifications && !this.#pollIntervalGiven) {
      this.config.pollIntervalMs = POLL_INTERVAL_WITHOUT_LISTEN_MS;
    }
    const queues = this.config.queues;
    if (queues !== "every") {
      for (const type of this.registry.types) {
        const queue = this.registry.get(type)!.queue;
        if (queue !== undefined && !queues.includes(queue)) {
          this.logger.warn(
            "handler's queue not served: its jobs wait for another worker",
            { type, queue, served: queues },
          );
        }
      }
    }
    await this.#listen();
    await this.#register().catch((error) =>
      this.#databaseError("register", error)
    );
    // Unread settings claim nothing from a queue that has some (the claim skips managed queues
    // it has not read), and the periodic refresh reads them once the database answers: a
    // database lost at this moment does not end the worker.
    await this.#refreshQueues().catch((error) =>
      this.#databaseError("queue settings", error)
    );
    const hooks = this.#dutyHooks();
    const queueSettings = new Periodic({
      name: "queue settings",
      intervalMs: QUEUE_SETTINGS_REFRESH_MS,
      run: () => this.#refreshQueues(),
      onError: (error) => hooks.onError("queue settings", error),
    });
    const poll = new Periodic({
      name: "poll",
      intervalMs: this.config.pollIntervalMs,
      run: () => Promise.resolve(this.#poke()),
      onError: (error) => hooks.onError("poll", error),
    });
    const reaper = reaperDuty({
      ...hooks,
      leaseMs: this.config.leaseMs,
      renewOwnLeases: () => this.#heartbeat.renewNow(),
      unsettledIds: () => this.#settler.unsettledIds,
      onReaped: (outcomes) => this.#onReaped(outcomes),
    });
    const pruner = prunerDuty({
      ...hooks,
      retention: this.config.retention,
      onPruned: ({ completed, failed, deadWorkers, expiredKeys }) => {
        if (
          completed.removed + failed.removed + deadWorkers + expiredKeys === 0
        ) return;
        this.logger.info("finished jobs pruned", {
          completed: completed.removed,
          failed: failed.removed,
          partitionsDropped: completed.partitions + failed.partitions,
          deadWorkersRemoved: deadWorkers,
          expiredUniqueKeys: expiredKeys,
        });
      },
    });
    // Only where the server's autovacuum is off: the queue's dead rows would otherwise
    // pile up in the active table and its claim index for as long as the worker runs.
    const vacuumer = vacuumerDuty({
      ...hooks,
      onVacuumed: (check, ms) => {
        this.logger.info("queue tables vacuumed", {
          deadRows: check.deadRows,
          ms,
          why: "the server's autovacuum is off",
        });
      },
    });
    this.#heartbeat.start();
    poll.start();
    queueSettings.start();
    reaper.start(0);
    pruner.start(0);
    vacuumer.start();
    this.#duties.push(
      this.#heartbeat,
      reaper,
      poll,
      pruner,
      queueSettings,
      vacuumer,
    );
    if (this.#schedules.length > 0) {
      const scheduler = schedulerDuty({
        ...hooks,
        schedules: this.#schedules,
        onFired: (fired) => {
          for (const slot of fired) {
            if (!slot.created) continue;
            this.logger.info("scheduled job enqueued", {
              schedule: slot.name,
              slot: slot.slot,
              jobId: slot.jobId,
            });
          }
        },
      });
      scheduler.start(0);
      this.#duties.push(scheduler);
    }
    this.logger.info("worker started", {
      types: this.registry.types,
      // "poll": behind a transaction pooler with no connection to LISTEN on, jobs are found by
      // the poll alone (every pollIntervalMs), cancellations by the heartbeat.
      wakeUps: backend.notifications ? "listen" : "poll",
      ...this.config,
    });
    this.#loop = this.#claimLoop();
  }

  /** Adds this worker to the registry of live workers (renewed by the heartbeat). */
  #register(): Promise<void> {
    return registerWorker({
      workerId: this.id,
      host: Deno.hostname(),
      pid: Deno.pid,
      concurrency: this.config.concurrency,
      kinds: (this.config.queues === "every" ? [ANY_QUEUE] : this.#served)
        .flatMap((queue) =>
          this.registry.types.map((type) => ({ queue, type }))
        ),
      leaseMs: this.config.leaseMs,
    });
  }

  async #listen(): Promise<void> {
    if (!bfDb.backend.notifications) return;
    // When the job channel's LISTEN is back after a dropped connection, claim at once: notices
    // sent meanwhile were lost. Cancellations and queue settings are not reread then: the
    // heartbeat and the periodic refresh find them, and under a storm of killed connections
    // (chaos scenario 4) those two extra statements per reconnect ran more jobs twice (10, 76,
    // 109, 69 in four runs, against 0 to 86 without them).
    const subscriptions: [string, (payload: string) => void, (() => void)?][] =
      [
        [JOB_CHANNEL, (payload) => {
          const { type, queue } = parseJobNotice(payload);
          if (queue !== undefined && !this.#serves(queue)) return;
          if (queue !== undefined) this.#serve([queue]);
          if (type === "" || this.registry.get(type)) this.#poke();
        }, () => this.#poke()],
        [JOB_CANCEL_CHANNEL, (workerId) => {
          if (workerId === this.id) void this.#abortCancelled("notification");
        }],
        [QUEUE_CHANNEL, (queue) => {
          if (this.#serves(queue)) void this.#refreshQueues();
        }],
      ];
    const unlistens: Unlisten[] = [];
    const unlistenAll = async () => {
      await Promise.allSettled(unlistens.map((unlisten) => unlisten()));
    };
    try {
      for (const [channel, onMessage, onRelisten] of subscriptions) {
        unlistens.push(
          await bfDb.backend.listen(channel, onMessage, onRelisten),
        );
      }
      this.#unlisten = unlistenAll;
    } catch (error) {
      await unlistenAll();
      // Polling still finds jobs, and the heartbeat finds cancelled ones (their lease is gone);
      // LISTEN is retried by the next heartbeat.
      this.#databaseError("listen", error);
    }
  }

  /**
   * Stops the jobs among `candidates` (default: every job this worker holds) that an operator or
   * the application cancelled: claimed-ahead ones are dropped, running ones have their signal
   * aborted with the reason. Returns the ids found cancelled.
   */
  async #abortCancelled(
    via: "notification" | "heartbeat",
    candidates?: readonly string[],
  ): Promise<Set<string>> {
    const ids = candidates ?? [
      ...this.#running.keys(),
      ...this.#buffer.map((b) => b.job.id),
    ];
    let found: { id: string; reason: string }[];
    try {
      found = await BfJob.cancelledAmong(ids);
    } catch (error) {
      this.#databaseError("cancel check", error);
      return new Set();
    }
    const cancelled = new Map(found.map((c) => [c.id, c.reason]));
    this.#buffer = this.#buffer.filter(({ job }) => {
      if (!cancelled.has(job.id)) return true;
      this.metrics.count("cancelled", job.props.type);
      jobLogger(this.logger, job).info("job cancelled before it started", {
        via,
      });
      return false;
    });
    for (const entry of this.#running.values()) {
      const reason = cancelled.get(entry.job.id);
      if (reason === undefined || entry.controller.signal.aborted) continue;
      jobLogger(this.logger, entry.job).info(
        "job cancelled; aborting its handler",
        { via },
      );
      entry.controller.abort(new JobAbort("cancelled", `cancelled: ${reason}`));
    }
    return new Set(cancelled.keys());
  }

  #poke(): void {
    this.#mayHaveWork = true;
    this.#wake?.();
  }

  async #claimLoop(): Promise<void> {
    const types = this.registry.types;
    while (!this.#stopping) {
      this.#startBuffered();
      const free = this.config.concurrency - this.#running.size;
      const ahead = this.#pacer.prefetchTarget();
      const wanted = free + ahead - this.#buffer.length;
      // With slots free, claim at once; with all busy, top the buffer up only once it runs
      // half empty, so claims come in batches rather than one job at a time.
      const worthClaiming = free > 0 || this.#buffer.length <= ahead / 2;
      // Backpressure: while the database is slower to take finished jobs than the handlers are
      // to finish them, claim nothing more; the settler wakes the loop after each write.
      const settling = this.#settler.backlog >= this.#maxUnsettled;
      if (wanted <= 0 || !worthClaiming || !this.#mayHaveWork || settling) {
        if (this.#heldBack && free > 0 && !settling) {
          // A limit shared with other workers: a slot they free is seen by trying again soon.
          this.#heldBack = false;
          await this.#sleep(HELD_BACK_RETRY_MS);
          this.#mayHaveWork = true;
          continue;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      let jobs: BfJob[];
      const started = performance.now();
      try {
        this.#mayHaveWork = false;
        jobs = await this.#claim(types, wanted, Math.max(0, free));
        const seconds = (performance.now() - started) / 1000;
        this.metrics.observeClaim(seconds);
        this.#pacer.observeClaim(seconds);
        this.#databaseOk();
      } catch (error) {
        this.#databaseError("claim", error);
        this.#mayHaveWork = true;
        await this.#sleep(
          Math.min(5_000, 100 * 2 ** Math.min(this.#consecutiveErrors, 6)),
        );
        continue;
      }
      if (this.#stopping) {
        for (const job of jobs) this.#settler.release(job);
        break;
      }
      this.#pacer.observeClaimed(jobs.map((job) => job.props.payload));
      if (jobs.length === wanted) this.#mayHaveWork = true;
      for (const job of jobs) {
        if (job.props.status === "running") this.#launch(job);
        else this.#buffer.push({ job, claimedAt: performance.now() });
      }
    }
  }

  /** Jobs of `queue` this worker runs or holds claimed ahead. */
  #heldIn(queue: string): number {
    let n = 0;
    for (const { job } of this.#running.values()) {
      if (job.props.queue === queue) n++;
    }
    for (const { job } of this.#buffer) if (job.props.queue === queue) n++;
    return n;
  }

  /**
   * Claims from the served queues: those with settings one by one within their limits
   * (`claimManaged`), those with slots of their own (`queueSlots`) one by one within them, both
   * straight to running with nothing claimed ahead; the rest in one statement.
   */
  async #claim(
    types: readonly string[],
    wanted: number,
    free: number,
  ): Promise<BfJob[]> {
    const { queueSlots, leaseMs } = this.config;
    const queues = this.#served;
    const plain = queues.filter((q) =>
      !this.#managed.has(q) && queueSlots[q] === undefined
    );
    const jobs: BfJob[] = [];
    let slots = free;
    for (const queue of queues) {
      const own = queueSlots[queue];
      if (slots <= 0 || (!this.#managed.has(queue) && own === undefined)) {
        continue;
      }
      const limit = own === undefined
        ? slots
        : Math.min(slots, own - this.#heldIn(queue));
      if (limit <= 0) continue;
      if (!this.#managed.has(queue)) {
        const claimed = await BfJob.claimBatch(this.id, {
          types,
          queues: [queue],
          limit,
          leaseMs,
          startCount: limit,
        });
        jobs.push(...claimed);
        slots -= claimed.length;
        continue;
      }
      const claim = await BfJob.claimManaged(this.id, queue, types, {
        limit,
        leaseMs,
        fair: this.#managed.get(queue)?.fairByOrg === true,
      });
      jobs.push(...claim.jobs);
      slots -= claim.jobs.length;
      if (claim.heldBackBy) {
        this.metrics.heldBack(queue, claim.heldBackBy);
        if (claim.heldBackBy !== "paused") this.#heldBack = true;
      }
    }
    // A managed queue held back is looked at again at the next settle of this worker or the
    // next refresh; only the plain queues' answer says whether more is waiting.
    const rest = wanted - jobs.length;
    if (plain.length > 0 && rest > 0) {
      jobs.push(
        ...await BfJob.claimBatch(this.id, {
          types,
          queues: plain,
          limit: rest,
          leaseMs: this.config.leaseMs,
          startCount: Math.max(0, slots),
        }),
      );
    }
    return jobs;
  }

  /**
   * Reads the settings of the served queues; claimed-ahead jobs of a queue now paused are
   * handed back, and a change wakes the claim loop.
   */
  async #refreshQueues(): Promise<void> {
    const all = await listQueueSettings();
    if (this.config.queues === "every") {
      // A notice can be missed (a LISTEN connection lost); the re-read finds such queues.
      this.#serve([...await waitingQueues(), ...all.map((s) => s.queue)]);
    }
    const served = new Map(
      all.filter((s) => this.#serves(s.queue)).map((s) => [s.queue, s]),
    );
    const changed = JSON.stringify([...served]) !==
      JSON.stringify([...this.#managed]);
    this.#managed = served;
    this.metrics.pausedQueues = [...served.values()].filter((s) => s.paused)
      .map((s) => s.queue);
    const paused = new Set(this.metrics.pausedQueues);
    if (paused.size > 0) {
      this.#buffer = this.#buffer.filter(({ job }) => {
        if (!paused.has(job.props.queue)) return true;
        this.#settler.release(job);
        return false;
      });
    }
    if (changed) this.#poke();
  }

  /** Whether this worker claims from `queue` (all of them, serving every queue). */
  #serves(queue: string): boolean {
    return this.config.queues === "every" || this.config.queues.includes(queue);
  }

  /** Serving every queue, adds `queues` to those claimed from; a new one wakes the claim loop. */
  #serve(queues: readonly string[]): void {
    if (this.config.queues !== "every") return;
    const added = queues.filter((q) => !this.#served.includes(q));
    if (added.length === 0) return;
    if (this.#served.length + added.length > MAX_DISCOVERED_QUEUES) {
      // Once, not on every notice of a queue left out.
      if (this.#tooManyQueuesLogged) return;
      this.#tooManyQueuesLogged = true;
      this.logger.warn(
        "too many queues to serve them all; name them in WORKER_QUEUES",
        {
          served: this.#served.length,
          limit: MAX_DISCOVERED_QUEUES,
        },
      );
      return;
    }
    this.#served = [...this.#served, ...new Set(added)].sort();
    this.#poke();
  }

  /** Starts buffered (claimed-ahead) jobs while slots are free; their start is written lazily. */
  #startBuffered(): void {
    while (
      this.#buffer.length > 0 && this.#running.size < this.config.concurrency
    ) {
      const { job } = this.#buffer.shift()!;
      this.#settler.started(job);
      this.#launch(job);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).then(() => {
      this.#wake = undefined;
    });
  }

  /**
   * Starts `job` in a slot. A job claimed ahead that came back uncharged from a dead worker
   * before has its start written before its handler runs: if it takes this worker down too, the
   * attempt counts (it is the likely culprit), while the jobs claimed ahead beside it come back
   * uncharged again. Without this, a job that kills its worker every time kept coming back
   * uncharged until its refunds ran out, and so did every job claimed ahead with it, each
   * gathering notes until they too were charged for its crashes.
   */
  #launch(job: BfJob): void {
    const startFirst = job.props.status === "claimed" &&
        cameBackUncharged(job)
      ? this.#settler.startNow(job)
      : undefined;
    const handler = this.registry.get(job.props.type)!;
    const controller = new AbortController();
    const launchedAt = performance.now();
    const entry: RunningJob = { job, controller, claimedAt: launchedAt };
    this.#running.set(job.id, entry);
    this.metrics.running = this.#running.size;
    const log = jobLogger(this.logger, job);
    log.debug("job started");
    this.#armTimeouts();
    const writeProgress = (progressJson: string) =>
      BfJob.recordProgress(this.id, [{ ...job.held, progressJson }]).then(
        () => {},
        (error) => log.warn("could not store the job's progress", { error }),
      );
    const run = () =>
      runJob(job, handler, log, controller.signal, writeProgress);
    (startFirst ? startFirst.then(run) : run()).then(
      (outcome) => {
        this.#running.delete(job.id);
        if (this.#running.size === 0) this.#disarmTimeouts();
        // A slot of a queue with slots of its own is free again.
        if (this.config.queueSlots[job.props.queue] !== undefined) {
          this.#mayHaveWork = true;
        }
        this.metrics.running = this.#running.size;
        this.#pacer.observeFinished((performance.now() - launchedAt) / 1000);
        if (outcome.kind === "completed") {
          this.#settler.complete(job, outcome.resultJson);
        } else if (outcome.kind === "failed") {
          this.#settler.fail(job, outcome.error, outcome.permanent);
        } else if (outcome.kind === "snoozed") {
          this.#settler.snooze(job, outcome.delayMs);
        } else if (outcome.abort.kind === "shutdown") {
          this.#settler.release(job);
        } else if (outcome.abort.kind === "cancelled") {
          // Already `cancelled` in the database: nothing to write.
          this.metrics.count("cancelled", job.props.type);
          log.info("running job cancelled; its handler was aborted", {
            reason: outcome.abort.message,
          });
        } else {
          log.warn("job abandoned: lease lost to the reaper", {
            reason: outcome.abort.message,
          });
        }
        // A job of a queue with a global limit holds its slot until its settle is written:
        // write it now rather than after the batching delay.
        if (this.#managed.has(job.props.queue)) void this.#settler.flush();
        this.#wake?.();
      },
    );
  }

  /**
   * Arms the one timer that enforces `jobTimeoutMs`, for the oldest running job: every job gets
   * the same time, so deadlines come in launch order, which is the order of `#running`. One
   * timer per job was a visible share of a no-op job's cost.
   */
  #armTimeouts(): void {
    if (this.#timeoutTimer !== undefined) return;
    let oldest: RunningJob | undefined;
    for (const entry of this.#running.values()) {
      if (!entry.controller.signal.aborted) {
        oldest = entry;
        break;
      }
    }
    if (!oldest) return;
    const due = oldest.claimedAt + this.config.jobTimeoutMs - performance.now();
    this.#timeoutTimer = setTimeout(() => {
      this.#timeoutTimer = undefined;
      this.#abortOverdue();
      this.#armTimeouts();
    }, Math.max(0, due));
  }

  #disarmTimeouts(): void {
    clearTimeout(this.#timeoutTimer);
    this.#timeoutTimer = undefined;
  }

  /** Aborts the running jobs whose time is up. */
  #abortOverdue(): void {
    const now = performance.now();
    for (const entry of this.#running.values()) {
      if (entry.claimedAt + this.config.jobTimeoutMs > now) break;
      if (entry.controller.signal.aborted) continue;
      entry.controller.abort(
        new JobAbort(
          "timeout",
          `timed out after ${this.config.jobTimeoutMs} ms`,
        ),
      );
    }
  }

  /**
   * Drops claimed-ahead jobs and aborts running ones whose lease the database no longer
   * credits: as cancelled when they were (the fallback when the cancel notification was
   * missed), else as reclaimed.
   */
  async #onRenewed(held: Set<string>, sentAt: number): Promise<void> {
    const lost = [
      ...[...this.#running.values()].filter((e) => e.claimedAt < sentAt)
        .map((e) => e.job.id),
      ...this.#buffer.filter((b) => b.claimedAt < sentAt).map((b) => b.job.id),
    ].filter((id) => !held.has(id));
    if (lost.length === 0) return;
    const cancelled = await this.#abortCancelled("heartbeat", lost);
    const reclaimed = new Set(lost.filter((id) => !cancelled.has(id)));
    this.#buffer = this.#buffer.filter((b) => !reclaimed.has(b.job.id));
    for (const id of reclaimed) {
      this.#running.get(id)?.controller.abort(
        new JobAbort(
          "lease-lost",
          "the lease expired and the job was reclaimed",
        ),
      );
    }
  }

  #onReaped(reaped: ReapOutcome[]): void {
    for (const outcome of reaped) {
      this.metrics.count("reaped", outcome.type);
      this.logger.warn("reaped a job whose worker stopped renewing its lease", {
        jobId: outcome.id,
        jobType: outcome.type,
        deadWorkerId: outcome.workerId,
        status: outcome.status,
        attemptCounted: outcome.charged,
      });
    }
    if (reaped.some((r) => r.status === "available")) this.#poke();
  }

  #databaseOk(): void {
    if (!this.#databaseReachable) this.logger.info("database reachable again");
    this.#databaseReachable = true;
    this.#consecutiveErrors = 0;
  }

  #databaseError(operation: string, error: unknown): void {
    this.#consecutiveErrors++;
    if (this.#databaseReachable || this.#consecutiveErrors % 20 === 1) {
      this.logger.error("database call failed; retrying", { operation, error });
    }
    this.#databaseReachable = false;
  }

  /**
   * Graceful stop: claim nothing more, give running jobs `graceMs` to finish, abort and release
   * the rest back to `available`, write every settle, stop the duties. Idempotent.
   */
  stop(graceMs: number = this.config.shutdownGraceMs): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    this.logger.info("worker stopping", {
      running: this.#running.size,
      graceMs,
    });
    await this.#loop;
    for (const { job } of this.#buffer) this.#settler.release(job);
    this.#buffer = [];
    const deadline = Date.now() + graceMs;
    while (this.#running.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    for (const entry of this.#running.values()) {
      entry.controller.abort(new JobAbort("shutdown", "worker shutting down"));
    }
    while (this.#running.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const left = await this.#settler.drain(
      Date.now() + Math.max(5_000, this.config.leaseMs),
    );
    await Promise.all(this.#duties.map((duty) => duty.stop(5_000)));
    await unregisterWorker(this.id).catch((error) =>
      this.logger.warn("could not remove this worker from the registry", {
        error,
      })
    );
    await this.#unlisten?.().catch(() => {});
    this.logger.info("worker stopped", { unsettled: left });
  }
}

/** Creates and starts a worker. */
export async function startWorker(
  options: StartWorkerOptions,
): Promise<Worker> {
  const worker = new Worker(options);
  await worker.start();
  return worker;
}

/** Whether `job` carries a note of a return from a dead worker that did not count. */
function cameBackUncharged(job: BfJob): boolean {
  const errors = job.props.errors;
  return Array.isArray(errors) &&
    errors.some((e) => (e as { uncharged?: unknown })?.uncharged === true);
}
