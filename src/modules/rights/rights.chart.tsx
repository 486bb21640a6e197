/**
 * Requests by kind and month: a stacked bar chart drawn on the server as SVG (no client
 * script), followed by the same figures as a table. The SVG is an image with a title and a
 * description; the table is what screen readers and anyone who cannot tell the colours apart
 * read, so colour never carries information alone. Tables scroll sideways on narrow screens
 * (`.table`), so each takes the keyboard focus that lets people scroll it (axe: scrollable-region-focusable).
 */
import { ChartGridlines } from '../../platform/views/chart.js';

export interface MonthlyKindCount {
  /** `YYYY-MM`. */
  month: string;
  kind: string;
  count: number;
}

/** Distinct at a glance and each at least 3:1 against white (WCAG 1.4.11 non-text contrast). */
const KIND_COLOURS: readonly string[] = [
  '#1d4e89',
  '#b8420f',
  '#2e7d32',
  '#6a1b9a',
  '#8d6e00',
  '#00695c',
  '#ad1457',
];

const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { top: 16, right: 16, bottom: 40, left: 40 };

export interface RequestsChartProps {
  counts: readonly MonthlyKindCount[];
  /** Every month to show, oldest first, so that empty months still appear. */
  months: readonly string[];
  /** Every kind, in legend order, with the label people read. */
  kinds: readonly { key: string; label: string }[];
}

function monthLabel(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  if (!year || !monthNumber) return month;
  return new Date(Date.UTC(year, monthNumber - 1, 1)).toLocaleDateString('en-GB', {
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** A round upper bound for the axis, so that gridlines fall on whole numbers. */
function axisMaximum(largest: number): number {
  if (largest <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(largest));
  const step = largest / magnitude <= 2 ? magnitude / 2 : magnitude;
  return Math.ceil(largest / step) * step;
}

export function RequestsChart(props: RequestsChartProps) {
  const countOf = (month: string, kind: string) =>
    props.counts
      .filter((each) => each.month === month && each.kind === kind)
      .reduce((sum, each) => sum + each.count, 0);
  const totals = props.months.map((month) =>
    props.kinds.reduce((sum, kind) => sum + countOf(month, kind.key), 0),
  );
  const grandTotal = totals.reduce((sum, each) => sum + each, 0);
  const maximum = axisMaximum(Math.max(0, ...totals));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = props.months.length === 0 ? plotWidth : plotWidth / props.months.length;
  const barWidth = Math.max(4, slot * 0.6);
  const y = (value: number) => MARGIN.top + plotHeight - (value / maximum) * plotHeight;
  const ticks = [0, maximum / 2, maximum];
  const busiest = props.months[totals.indexOf(Math.max(0, ...totals))];
  const description =
    grandTotal === 0
      ? `No requests in the ${props.months.length} months shown.`
      : `${grandTotal} requests in the ${props.months.length} months shown; the busiest month was ${busiest ? monthLabel(busiest) : ''} with ${Math.max(...totals)}. The table below gives every figure.`;

  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-labelledby="requests-chart-title requests-chart-desc"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="requests-chart-title">Requests by kind and month</title>
        <desc id="requests-chart-desc">{description}</desc>
        <ChartGridlines ticks={ticks} y={y} left={MARGIN.left} right={WIDTH - MARGIN.right} />
        {props.months.map((month, index) => {
          const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
          let stacked = 0;
          return (
            <g key={month}>
              {props.kinds.map((kind, kindIndex) => {
                const count = countOf(month, kind.key);
                if (count === 0) return null;
                const top = y(stacked + count);
                const height = y(stacked) - top;
                stacked += count;
                return (
                  <rect
                    key={kind.key}
                    x={x}
                    y={top}
                    width={barWidth}
                    height={height}
                    fill={KIND_COLOURS[kindIndex % KIND_COLOURS.length]}
                    stroke="#fff"
                    stroke-width={1}
                  />
                );
              })}
              <text
                x={x + barWidth / 2}
                y={HEIGHT - MARGIN.bottom + 16}
                text-anchor="middle"
                font-size="11"
                fill="#333"
              >
                {monthLabel(month)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="chart__legend" aria-label="Colours in the chart">
          {props.kinds.map((kind, kindIndex) => (
            <li key={kind.key}>
              <svg width="12" height="12" aria-hidden="true" focusable="false">
                <rect width="12" height="12" fill={KIND_COLOURS[kindIndex % KIND_COLOURS.length]} />
              </svg>{' '}
              {kind.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <table class="table" tabIndex={0}>
        <caption>Requests by kind and month (the figures in the chart)</caption>
        <thead>
          <tr>
            <th scope="col">Month</th>
            {props.kinds.map((kind) => (
              <th key={kind.key} scope="col">
                {kind.label}
              </th>
            ))}
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {props.months.map((month, index) => (
            <tr key={month}>
              <th scope="row">{monthLabel(month)}</th>
              {props.kinds.map((kind) => (
                <td key={kind.key}>{countOf(month, kind.key)}</td>
              ))}
              <td>{totals[index]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
