#!/usr/bin/env node
/**
 * hearsay-share: seed, search for and download files over hearsay — a Kademlia file index with
 * verified multi-peer piece download. Every command takes --json for one JSON event per line.
 * Exit codes: 0 done, 1 failed (one line on stderr says why), 2 usage error, 130 interrupted.
 */
import { Command, Option } from 'commander'
import { defaultDataDir } from './data-dir.ts'
import { get } from './get.ts'
import { runIndex } from './index-node.ts'
import { list } from './list.ts'
import { EXIT, Output, UsageError } from './output.ts'
import { search } from './search.ts'
import { seed } from './seed.ts'
import { byteRate, multiaddrOption, positiveInteger, positiveNumber } from './options.ts'
import { interruptedBy } from './signals.ts'
import type { ShareNodeOptions } from './share-node.ts'

const VIAS = ['dht', 'flood', 'central'] as const

// `pnpm hearsay-share` runs this in the repository root: resolve the user's paths from where
// they typed the command
if (process.env.npm_lifecycle_event === 'hearsay-share' && process.env.INIT_CWD != null) process.chdir(process.env.INIT_CWD)

interface CommonOptions {
  listen?: string[]
  announce?: string[]
  bootstrap: string[]
  dataDir?: string
  dialFrom?: string
  index?: string[]
  maxUpload?: number
  json?: boolean
}

/** The options every command takes. */
function common (command: Command, { index = false, serves = false } = {}): Command {
  command
    .option('--listen <multiaddr>', 'listen address (repeatable); use /ip4/0.0.0.0/tcp/<port> to share beyond this machine [default: /ip4/127.0.0.1/tcp/0]', multiaddrOption(false))
    .option('--announce <multiaddr>', 'a public address of this node to give peers as it is, e.g. /ip4/<public ip>/tcp/4001 on a server (repeatable; makes it a relay for peers behind NATs)', multiaddrOption(false))
    .option('--bootstrap <multiaddr>', 'a peer to join the network through, ending in /p2p/<id> (repeatable)', multiaddrOption(true), [])
    .option('--data-dir <dir>', `identity, peer store and file store [default: ${defaultDataDir()}]`)
    .addOption(new Option('--dial-from <ip>', 'source address of outgoing connections (many nodes on one machine)'))
    .option('--json', 'newline-delimited JSON events on stdout instead of human output')
  if (serves) command.option('--max-upload <rate>', 'cap on upload speed per second, e.g. 2MB [default: unlimited]', byteRate)
  if (index) command.option('--index <multiaddr>', 'central index to register with and search (see "hearsay-share index")', multiaddrOption(true))
  return command
}

function nodeOptions (o: CommonOptions): ShareNodeOptions {
  return {
    listen: o.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: o.bootstrap,
    ...(o.announce != null ? { announce: o.announce } : {}),
    dataDir: o.dataDir ?? defaultDataDir(),
    ...(o.dialFrom != null ? { dialFrom: o.dialFrom } : {}),
    ...(o.index != null ? { index: o.index[o.index.length - 1] } : {}),
    ...(o.maxUpload != null ? { uploadBytesPerSecond: o.maxUpload } : {})
  }
}

const program = new Command()
  .name('hearsay-share')
  .description('Share files peer to peer: seed them, search by name, download from many peers at once with every piece verified.')
  .exitOverride(err => {
    // usage errors exit 2; --help and --version exit 0
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage)
  })

let out = new Output(false)

common(program.command('seed'), { index: true, serves: true })
  .description('add files (directories recursively) and serve them until Ctrl-C')
  .argument('<path...>', 'files or directories to share')
  .action(async (paths: string[], o: CommonOptions) => {
    out = new Output(o.json)
    await seed(paths, nodeOptions(o), out)
  })

common(program.command('get'), { serves: true })
  .description('download a file by id: verified, written atomically, resumable')
  .argument('<id>', 'the file id (from seed or search)')
  .option('--out <path>', 'where to write it: a file, or a directory for <name> [default: ./<name>]')
  .option('--timeout <seconds>', 'give up when no peer has the file for this long', positiveNumber, 60)
  .option('--keep-seeding', 'serve the file after the download until Ctrl-C')
  .action(async (id: string, o: CommonOptions & { out?: string, timeout: number, keepSeeding?: boolean }) => {
    out = new Output(o.json)
    await get(id, { out: o.out, timeout: o.timeout, keepSeeding: o.keepSeeding }, nodeOptions(o), out)
  })

common(program.command('search'), { index: true })
  .description('find files by words of their names')
  .argument('<words...>', 'words of the name (all must match)')
  .addOption(new Option('--via <backend>', 'search design').choices(VIAS).default('dht'))
  .option('--timeout <seconds>', 'how long to collect answers [default: dht 10, flood 3, central 5]', positiveNumber)
  .option('--limit <n>', 'most results', positiveInteger, 100)
  .action(async (words: string[], o: CommonOptions & { via: typeof VIAS[number], timeout?: number, limit: number }) => {
    out = new Output(o.json)
    await search(words, { via: o.via, timeout: o.timeout, limit: o.limit }, nodeOptions(o), out)
  })

common(program.command('index'))
  .description('run a central index node (for search --via central) until Ctrl-C')
  .action(async (o: CommonOptions) => {
    out = new Output(o.json)
    await runIndex(nodeOptions(o), out)
  })

common(program.command('list'))
  .description('list the files in the store, complete and partial')
  .action(async (o: CommonOptions) => {
    out = new Output(o.json)
    await list(nodeOptions(o), out)
  })

try {
  await program.parseAsync()
  process.exit(EXIT.ok)
} catch (err: any) {
  const signal = interruptedBy()
  if (signal != null) {
    out.error(`interrupted by ${signal}`, EXIT.interrupted)
    process.exit(EXIT.interrupted)
  }
  const code = err instanceof UsageError ? EXIT.usage : EXIT.failure
  out.error(err?.message ?? String(err), code)
  process.exit(code)
}
