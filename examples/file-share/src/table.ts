/** Plain aligned columns for people (cli-table3 without borders): what `search` and `list` print. */
import Table from 'cli-table3'

/** `rows` under `head`, columns padded to line up, two spaces apart, no borders or colours. */
export function table (head: string[], rows: string[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '  '
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 }
  })
  t.push(...rows)
  // cli-table3 pads the last column too: trailing blanks help no one
  return t.toString().split('\n').map(line => line.trimEnd()).join('\n')
}
