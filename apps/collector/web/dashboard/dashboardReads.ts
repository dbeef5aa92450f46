import { BfEdge } from "@bfmono/apps/bfDb/classes/BfEdge.ts";
import { CurrentViewer } from "@bfmono/apps/bfDb/CurrentViewer.ts";
import {
  browseJobs,
  checkJobBrowseFilter,
  type JobBrowseFilter,
  type JobPage,
} from "@bfmono/apps/bfDb/jobs/browseJobs.ts";
import { waitingByService } from "@bfmono/apps/bfDb/jobs/jobStats.ts";
import { finishedPerMinute } from "@bfmono/apps/bfDb/jobs/jobThroughput.ts";
import { kindStats } from "@bfmono/apps/bfDb/jobs/kindStats.ts";
import {
  type QueueOverview,
  queueOverview,
} from "@bfmono/apps/bfDb/jobs/queueSettings.ts";
import {
  jobsHeldByWorkers,
  liveWorkers,
} from "@bfmono/apps/bfDb/jobs/workerRegistry.ts";
import {
  BfJobSchedule,
  type ScheduleState,
} from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import {
  type JobDetail,
  type OperatorCommands,
  OperatorError,
} from "../../ops/operatorCommands.ts";
import type { JobEdge } from "./pages/jobPage.tsx";
import type { OverviewData } from "./pages/overviewPage.tsx";

/** Everything the dashboard's pages read. */
export interface DashboardReads {
  overview(): Promise<OverviewData>;
  /** Checks a job filter from a query string; a bad field is a TypeError naming it. */
  checkJobFilter(filter: JobBrowseFilter): JobBrowseFilter;
  jobs(filter: JobBrowseFilter): Promise<JobPage>;
  /** One job and its edges, or null when there is no such job. */
  job(id: string): Promise<{ job: JobDetail; edges: JobEdge[] } | null>;
  queues(): Promise<QueueOverview[]>;
  schedules(): Promise<ScheduleState[]>;
}

/** Most edges one job page lists. */
const EDGES_SHOWN = 100;

/** The dashboard's reads, straight from the database bfDb holds (jobs through `operator`). */
export function databaseReads(operator: OperatorCommands): DashboardReads {
  return {
    async overview() {
      const [kinds, minutes, stats, workers, holdings] = await Promise.all([
        kindStats(),
        finishedPerMinute(60),
        waitingByService(),
        liveWorkers(),
        jobsHeldByWorkers(),
      ]);
      return {
        kinds,
        minutes,
        oldestServedSeconds: stats.oldestAvailableAgeSeconds,
        unhandled: stats.unhandled,
        workers,
        holdings,
      };
    },
    checkJobFilter: checkJobBrowseFilter,
    jobs: (filter) => browseJobs(filter),
    async job(id) {
      let job: JobDetail;
      try {
        job = await operator.show({ id });
      } catch (error) {
        if (error instanceof OperatorError) return null;
        throw error;
      }
      const edges = await BfEdge.touching(
        job.id,
        CurrentViewer.forOrg(job.org),
        EDGES_SHOWN,
      );
      return {
        job,
        edges: edges.map((edge) => {
          const out = edge.metadata.bfSid === job.id;
          return {
            id: edge.id,
            role: edge.props.role,
            direction: out ? "out" : "in",
            nodeId: (out ? edge.metadata.bfTid : edge.metadata.bfSid) ?? "",
            nodeClass:
              (out ? edge.metadata.bfTClassName : edge.metadata.bfSClassName) ??
                null,
          };
        }),
      };
    },
    queues: () => queueOverview(),
    schedules: () => BfJobSchedule.list(),
  };
}
