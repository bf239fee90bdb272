/** One line of a chart. */
export interface ChartSeries {
  name: string
  /** [x, y] points, drawn in order */
  points: Array<[number, number]>
  /** drawn dashed, e.g. for a bound */
  dashed?: boolean
  /** CSS colour; by default one of a palette, by series index */
  color?: string
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string
  xLabel: string
  yLabel: string
  series: ChartSeries[]
  /** logarithmic x axis (points with x <= 0 are left out) */
  logX?: boolean
  /** y axis as a percentage of 1 */
  yPercent?: boolean
  width?: number
  height?: number
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22']

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function niceStep (span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks)
  const power = 10 ** Math.floor(Math.log10(raw))
  const f = raw / power
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power
}

function label (v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`
  return String(+v.toPrecision(3))
}

/** A line chart as a standalone SVG document: axes, ticks, grid, a legend; no dependencies. */
export function lineChart (options: LineChartOptions): string {
  const width = options.width ?? 760
  const height = options.height ?? 460
  const left = 70
  const right = 170
  const top = 40
  const bottom = 55
  const plotW = width - left - right
  const plotH = height - top - bottom
  const logX = options.logX === true
  const series = options.series.map(s => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0)) }))
  const xs = series.flatMap(s => s.points.map(p => p[0]))
  const ys = series.flatMap(s => s.points.map(p => p[1]))
  let xMin = xs.length > 0 ? Math.min(...xs) : 0
  let xMax = xs.length > 0 ? Math.max(...xs) : 1
  let yMin = Math.min(0, ...ys)
  let yMax = ys.length > 0 ? Math.max(...ys) : 1
  if (options.yPercent === true) { yMin = 0; yMax = Math.max(1, yMax) }
  if (yMax <= yMin) yMax = yMin + 1

  let xTicks: number[]
  let fx: (x: number) => number
  if (logX) {
    const lo = Math.floor(Math.log10(xMin > 0 ? xMin : 1))
    let hi = Math.ceil(Math.log10(xMax > 0 ? xMax : 10))
    if (hi <= lo) hi = lo + 1
    xMin = 10 ** lo
    xMax = 10 ** hi
    xTicks = []
    for (let p = lo; p <= hi; p++) {
      xTicks.push(10 ** p)
      if (hi - lo <= 3 && p < hi) xTicks.push(2 * 10 ** p, 5 * 10 ** p)
    }
    xTicks.sort((a, b) => a - b)
    fx = x => left + (Math.log10(x) - lo) / (hi - lo) * plotW
  } else {
    xMin = Math.min(0, xMin)
    if (xMax <= xMin) xMax = xMin + 1
    const step = niceStep(xMax - xMin, 8)
    xMax = Math.ceil(xMax / step) * step
    xTicks = []
    for (let v = xMin; v <= xMax + step / 2; v += step) xTicks.push(v)
    fx = x => left + (x - xMin) / (xMax - xMin) * plotW
  }
  const yStep = niceStep(yMax - yMin, 5)
  yMax = Math.ceil(yMax / yStep - 1e-9) * yStep
  const yTicks: number[] = []
  for (let v = yMin; v <= yMax + yStep / 2; v += yStep) yTicks.push(v)
  const fy = (y: number): number => top + plotH - (y - yMin) / (yMax - yMin) * plotH

  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  out.push(`<text x="${left + plotW / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(options.title)}</text>`)
  for (const v of xTicks) {
    const x = fx(v).toFixed(1)
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${x}" y="${top + plotH + 17}" text-anchor="middle">${label(v)}</text>`)
  }
  for (const v of yTicks) {
    const y = fy(v).toFixed(1)
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#e5e5e5"/>`)
    const text = options.yPercent === true ? `${+(v * 100).toPrecision(3)}%` : label(v)
    out.push(`<text x="${left - 8}" y="${(fy(v) + 4).toFixed(1)}" text-anchor="end">${text}</text>`)
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`)
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(options.yLabel)}</text>`)
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${fx(x).toFixed(1)} ${fy(y).toFixed(1)}`).join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    }
    const ly = top + 10 + i * 20
    out.push(`<line x1="${left + plotW + 12}" y1="${ly}" x2="${left + plotW + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(`<text x="${left + plotW + 46}" y="${ly + 4}">${escape(s.name)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
