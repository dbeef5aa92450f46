// @ts-types="@types/d3-scale"
import { scaleBand, scaleLinear } from "d3-scale";
// @ts-types="@types/d3-shape"
import { stack } from "d3-shape";
import type { MinuteCount } from "@bfmono/apps/bfDb/jobs/jobThroughput.ts";

const WIDTH = 720;
const HEIGHT = 180;
const MARGIN = { top: 10, right: 10, bottom: 22, left: 44 };

const SERIES = ["completed", "failed"] as const;

/**
 * Jobs completed and failed per minute as stacked bars, drawn on the server as SVG (scales and
 * stacking from d3), so the page needs no script to show it; each bar's title gives its counts.
 */
export function ThroughputChart(
  props: { minutes: readonly MinuteCount[] },
) {
  const { minutes } = props;
  const x = scaleBand<string>()
    .domain(minutes.map((m) => m.minute))
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .paddingInner(0.15);
  const top = Math.max(1, ...minutes.map((m) => m.completed + m.failed));
  const y = scaleLinear()
    .domain([0, top])
    .nice(4)
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const layers = stack<MinuteCount, typeof SERIES[number]>().keys(SERIES)(
    [...minutes],
  );
  const labelled = minutes.filter((_, i) =>
    (minutes.length - 1 - i) % 10 === 0
  );
  const total = minutes.reduce((n, m) => n + m.completed + m.failed, 0);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Jobs completed and failed per minute over the last ${minutes.length} minutes: ${total} in all`}
      >
        {y.ticks(4).map((tick) => (
          <g class="tick">
            <line
              x1={MARGIN.left}
              x2={WIDTH - MARGIN.right}
              y1={y(tick)}
              y2={y(tick)}
            />
            <text x={MARGIN.left - 6} y={y(tick) + 4} text-anchor="end">
              {tick.toLocaleString("en-US")}
            </text>
          </g>
        ))}
        {layers.map((layer) => (
          <g class={`bars ${layer.key}`}>
            {layer.map((point) => (
              <rect
                x={x(point.data.minute)}
                y={y(point[1])}
                width={x.bandwidth()}
                height={Math.max(0, y(point[0]) - y(point[1]))}
              >
                <title>
                  {`${
                    point.data.minute.slice(11, 16)
                  } UTC: ${point.data.completed} completed, ${point.data.failed} failed`}
                </title>
              </rect>
            ))}
          </g>
        ))}
        {labelled.map((m) => (
          <text
            class="axis"
            x={(x(m.minute) ?? 0) + x.bandwidth() / 2}
            y={HEIGHT - 6}
            text-anchor="middle"
          >
            {m.minute.slice(11, 16)}
          </text>
        ))}
      </svg>
      <figcaption>
        <span class="key completed">completed</span>
        <span class="key failed">failed</span> per minute, last {minutes.length}
        {" "}
        minutes (UTC)
      </figcaption>
    </figure>
  );
}
