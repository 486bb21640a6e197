/**
 * Pieces shared by the server-drawn SVG charts of the staff area. Presentation attributes only
 * (no `style`), which the strict CSP allows.
 */

/** Horizontal gridlines with their value at the left, the zero line a little heavier. */
export function ChartGridlines(props: {
  ticks: readonly number[];
  /** The vertical position of a value. */
  y: (value: number) => number;
  left: number;
  right: number;
}) {
  return (
    <>
      {props.ticks.map((tick) => (
        <g key={tick}>
          <line
            x1={props.left}
            x2={props.right}
            y1={props.y(tick)}
            y2={props.y(tick)}
            stroke="#767676"
            stroke-width={tick === 0 ? 1.5 : 0.5}
          />
          <text
            x={props.left - 6}
            y={props.y(tick) + 4}
            text-anchor="end"
            font-size="11"
            fill="#333"
          >
            {tick}
          </text>
        </g>
      ))}
    </>
  );
}
