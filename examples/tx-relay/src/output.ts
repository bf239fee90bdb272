/** Output of the CLI: human lines, or one JSON object per line with `--json`. */
export function printer (json: boolean | undefined): (event: string, fields: Record<string, unknown>, human: string) => void {
  return (event, fields, human) => {
    if (json === true) process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
    else process.stdout.write(human + '\n')
  }
}
