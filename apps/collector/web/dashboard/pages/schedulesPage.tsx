import type { ScheduleState } from "@bfmono/apps/bfDb/nodeTypes/BfJobSchedule.ts";
import { agoText } from "../format.ts";
import { ActionButton, Layout, type PageContext } from "./layout.tsx";

/** Every stored schedule: its cron, next and last slot, and run now, pause or resume. */
export function SchedulesPage(
  props: { ctx: PageContext; schedules: ScheduleState[] },
) {
  const { ctx, schedules } = props;
  return (
    <Layout title="Schedules" section="schedules" ctx={ctx} live>
      <h1>Schedules</h1>
      <table>
        <thead>
          <tr>
            <th>name</th>
            <th>cron</th>
            <th>zone</th>
            <th>job type</th>
            <th>missed</th>
            <th>next slot</th>
            <th>last fired</th>
            <th>state</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {schedules.length === 0 && (
            <tr>
              <td colspan={9} class="empty">
                No schedule stored (a worker stores its schedules when it
                starts).
              </td>
            </tr>
          )}
          {schedules.map((s) => (
            <tr data-schedule={s.name}>
              <td>{s.name}</td>
              <td class="mono">{s.cron}</td>
              <td>{s.timezone}</td>
              <td>{s.type}</td>
              <td>{s.missed}</td>
              <td title={s.nextSlot ?? ""}>
                {s.nextSlot ? agoText(s.nextSlot, ctx.now) : "none"}
              </td>
              <td title={s.lastFiredSlot ?? ""}>
                {s.lastFiredSlot ? agoText(s.lastFiredSlot, ctx.now) : "never"}
              </td>
              <td>
                {s.paused
                  ? <span class="status status-failed">paused</span>
                  : "active"}
              </td>
              <td>
                <ActionButton
                  ctx={ctx}
                  action="run-schedule"
                  fields={{ name: s.name }}
                  label="Run now"
                  confirm={`Enqueue one ${s.type} job of schedule ${s.name} now?`}
                />{" "}
                {s.paused
                  ? (
                    <ActionButton
                      ctx={ctx}
                      action="resume-schedule"
                      fields={{ name: s.name }}
                      label="Resume"
                      confirm={`Resume schedule ${s.name}?`}
                    />
                  )
                  : (
                    <ActionButton
                      ctx={ctx}
                      action="pause-schedule"
                      fields={{ name: s.name }}
                      label="Pause"
                      confirm={`Pause schedule ${s.name}? Its slots pass without jobs until resumed.`}
                      danger
                    />
                  )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
