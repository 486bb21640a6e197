/**
 * Page views and unique visitors per day, drawn on the server as SVG (no client script, no
 * inline style: presentation attributes only, which the CSP allows), followed by the same
 * figures as a table. The SVG is an image with a title and a description that states the
 * totals; the table is what screen readers and anyone who cannot tell the marks apart read, so
 * neither colour nor shape carries information alone. The table scrolls sideways on narrow
 * screens (`.table`), so it takes the keyboard focus that lets people scroll it.
 */
import { ChartGridlines } from '../../platform/views/chart.js';
import type { DailyFigures } from './analytics.reports.js';

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { top: 16, right: 16, bottom: 44, left: 48 };
/** Views: a solid blue bar; visitors: an orange line with square markers. Both ≥ 3:1 on white. */
const VIEWS_COLOUR = '#1d4e89';
const VISITORS_COLOUR = '#b8420f';

/** `2026-11-29` → `29 Nov`. */
export function shortDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, date ?? 1)).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

/** `2026-11-29` → `Sunday 29 November 2026`. */
export function longDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, date ?? 1)).toLocaleDateString('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** A round upper bound for the axis, so that gridlines fall on whole numbers. */
function axisMaximum(largest: number): number {
  if (largest <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(largest));
  const step = largest / magnitude <= 2 ? magnitude / 4 : magnitude / 2;
  return Math.ceil(largest / (step * 2)) * step * 2;
}

export function TrafficChart(props: { figures: readonly DailyFigures[]; visitorsToday: number }) {
  const figures = props.figures;
  const totalViews = figures.reduce((sum, day) => sum + day.views, 0);
  const counted = figures.filter((day) => day.visitors !== null);
  const maximum = axisMaximum(Math.max(0, ...figures.map((day) => day.views)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = figures.length === 0 ? plotWidth : plotWidth / figures.length;
  const barWidth = Math.max(3, slot * 0.6);
  const x = (index: number) => MARGIN.left + index * slot + slot / 2;
  const y = (value: number) => MARGIN.top + plotHeight - (value / maximum) * plotHeight;
  const ticks = [0, maximum / 2, maximum];
  const busiest = figures.reduce<DailyFigures | undefined>(
    (best, day) => (best === undefined || day.views > best.views ? day : best),
    undefined,
  );
  const first = figures[0];
  const last = figures[figures.length - 1];
  const description =
    totalViews === 0 || !first || !last || !busiest
      ? `No page views counted in the ${figures.length} days shown.`
      : `${totalViews} page views from ${longDay(first.day)} to ${longDay(last.day)}; the busiest day was ${longDay(busiest.day)} with ${busiest.views}. Unique visitors are counted when each day is over. The table below gives every figure.`;
  const line = counted
    .map((day) => {
      const index = figures.indexOf(day);
      return `${x(index).toFixed(1)},${y(day.visitors ?? 0).toFixed(1)}`;
    })
    .join(' ');
  const labelEvery = Math.max(1, Math.ceil(figures.length / 6));

  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-labelledby="traffic-chart-title traffic-chart-desc"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="traffic-chart-title">Page views and unique visitors per day</title>
        <desc id="traffic-chart-desc">{description}</desc>
        <ChartGridlines ticks={ticks} y={y} left={MARGIN.left} right={WIDTH - MARGIN.right} />
        {figures.map((day, index) =>
          day.views === 0 ? null : (
            <rect
              key={day.day}
              x={x(index) - barWidth / 2}
              y={y(day.views)}
              width={barWidth}
              height={y(0) - y(day.views)}
              fill={VIEWS_COLOUR}
            />
          ),
        )}
        {counted.length > 1 ? (
          <polyline points={line} fill="none" stroke={VISITORS_COLOUR} stroke-width={2} />
        ) : null}
        {counted.map((day) => {
          const index = figures.indexOf(day);
          return (
            <rect
              key={`visitors-${day.day}`}
              x={x(index) - 3}
              y={y(day.visitors ?? 0) - 3}
              width={6}
              height={6}
              fill={VISITORS_COLOUR}
            />
          );
        })}
        {figures.map((day, index) =>
          index % labelEvery === 0 || index === figures.length - 1 ? (
            <text
              key={`label-${day.day}`}
              x={x(index)}
              y={HEIGHT - MARGIN.bottom + 16}
              text-anchor="middle"
              font-size="11"
              fill="#333"
            >
              {shortDay(day.day)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption>
        <ul class="chart__legend" aria-label="Marks in the chart">
          <li>
            <svg width="12" height="12" aria-hidden="true" focusable="false">
              <rect width="12" height="12" fill={VIEWS_COLOUR} />
            </svg>{' '}
            Page views (bars)
          </li>
          <li>
            <svg width="12" height="12" aria-hidden="true" focusable="false">
              <rect x="3" y="3" width="6" height="6" fill={VISITORS_COLOUR} />
            </svg>{' '}
            Unique visitors (line with squares)
          </li>
        </ul>
      </figcaption>
      <table class="table" tabIndex={0}>
        <caption>Page views and unique visitors per day (the figures in the chart)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Page views</th>
            <th scope="col">Unique visitors</th>
          </tr>
        </thead>
        <tbody>
          {figures.map((day) => (
            <tr key={day.day}>
              <th scope="row">
                <time dateTime={day.day}>{longDay(day.day)}</time>
              </th>
              <td>{day.views}</td>
              <td>
                {day.visitors === null
                  ? `${props.visitorsToday} so far (counted at midnight)`
                  : day.visitors}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
