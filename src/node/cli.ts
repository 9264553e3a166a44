import { Command, CommanderError, Option } from 'commander';
import { KL_CONTROLLER_KINDS } from '../controllers/types.js';
import { BACKENDS } from '../backend/backend.js';
import { ConfigError, KlipError } from '../core/errors.js';
import { DEFAULT_PPO_CONFIG, ENGINE_CHOICES, OBJECTIVES, PENALTY_KL_KINDS, POLICY_KINDS } from '../training/config.js';
import { REFERENCE_KL_ESTIMATORS, REFERENCE_KL_PLACEMENTS } from '../training/reference_kl.js';
import { KLIP_VERSION } from '../version.js';
import { ENV_IDS } from '../../envs/registry.js';
import { DEFAULT_FRONTIER_INPUTS } from './frontier.js';
import { EXIT_LOCKED, FolderLockedError } from './lock.js';
import { type CliIo, QUICKSTART_CONFIG } from './commands/shared.js';
import {
  parseBoolFlag,
  parseChoice,
  parseTimeLimit,
  parseHidden,
  parseListFlag,
  parseMaxGradNorm,
  parseNumberFlag,
  parseScheduleFlag,
  parseSeed,
  parseSeeds,
} from './flags.js';
import { type TrainOpts, runTrain } from './commands/train.js';
import { runReproduce } from './commands/reproduce.js';
import { runReport } from './commands/report.js';
import { type FrontierOpts, runFrontierCmd } from './commands/frontier.js';
import { type CompareOpts, runCompareCmd } from './commands/compare.js';
import { runKl } from './commands/kl.js';
import { type EvalOpts, runEval } from './commands/eval.js';
import { runBench } from './commands/bench.js';

export { QUICKSTART_CONFIG, EXIT_INTERRUPTED } from './commands/shared.js';
export type { CliIo, QuickstartPreset } from './commands/shared.js';
export { formatSummaryTable } from './commands/train.js';

function buildProgram(io: CliIo, setCode: (c: number) => void): Command {
  const program = new Command('klip');
  program
    .description(
      'Regularize policy optimization with KL divergences: train, report, compare and explore KL from the command line.',
    )
    .version(KLIP_VERSION, '-V, --version', 'print the klip version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      outputError: (s, write) => write(`klip: ${s.replace(/^error: /, '').trimEnd()}\n`),
    });

  const q = QUICKSTART_CONFIG.config;
  program
    .command('train')
    .description(
      'Train PPO with KL regularization and write a run folder (no flags: the quickstart on slippery FrozenLake 4×4).',
    )
    .addOption(
      new Option('--env <id>', 'environment')
        .choices([...ENV_IDS])
        .argParser(parseChoice('train', '--env', [...ENV_IDS]))
        .default(q.env),
    )
    .addOption(
      new Option('--objective <name>', 'objective')
        .choices([...OBJECTIVES])
        .argParser(parseChoice('train', '--objective', [...OBJECTIVES]))
        .default(q.objective),
    )
    .addOption(
      new Option('--kl-controller <kind>', 'KL coefficient rule')
        .choices([...KL_CONTROLLER_KINDS])
        .argParser(parseChoice('train', '--kl-controller', [...KL_CONTROLLER_KINDS]))
        .default(q.klController?.kind),
    )
    .addOption(
      new Option(
        '--beta <x>',
        "initial KL coefficient β (klController.beta; default: the rule's, 1 for adaptive and fixed, 0.2 for proportional and rllib)",
      ).argParser(parseNumberFlag('train', '--beta', { min: 0 })),
    )
    .addOption(
      new Option(
        '--target-kl <x>',
        "target of the KL of the update in nats (klController.target; default: the world's, 0.005 on frozenlake4x4, 0.01 elsewhere)",
      ).argParser(parseNumberFlag('train', '--target-kl', { min: 0, minExclusive: true })),
    )
    .addOption(
      new Option(
        '--early-stop-kl <x>',
        'early-stopping KL threshold (earlyStopKl): stop an update once its KL exceeds 1.5× this; default: the controller target for KL objectives, off otherwise',
      ).argParser(parseNumberFlag('train', '--early-stop-kl', { min: 0, minExclusive: true })),
    )
    .addOption(
      new Option('--kl-estimator <name>', 'KL estimator of the penalty and the controller (klEstimator)')
        .choices([...PENALTY_KL_KINDS])
        .argParser(parseChoice('train', '--kl-estimator', [...PENALTY_KL_KINDS]))
        .default(q.klEstimator),
    )
    .addOption(
      new Option(
        '--policy <kind>',
        "policy kind (default: by the world's spaces: tabular for discrete ones, mlp for box observations, gaussian for box actions)",
      )
        .choices([...POLICY_KINDS])
        .argParser(parseChoice('train', '--policy', [...POLICY_KINDS])),
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend')
        .choices([...BACKENDS])
        .argParser(parseChoice('train', '--backend', [...BACKENDS]))
        .default(DEFAULT_PPO_CONFIG.backend),
    )
    .addOption(
      new Option(
        '--steps <n>',
        "total env steps (totalSteps; default: the world's budget, 102400 on frozenlake4x4)",
      ).argParser(parseNumberFlag('train', '--steps', { integer: true })),
    )
    .addOption(new Option('--seed <s>', 'root seed (integer or string)').argParser(parseSeed).default(q.seed))
    .addOption(
      new Option('--lr <x>', "Adam learning rate (lr; default: the world's, 0.2 tabular, 2.5e-4 MLP)").argParser(
        parseNumberFlag('train', '--lr', { min: 0, minExclusive: true }),
      ),
    )
    .addOption(
      new Option(
        '--anneal-lr <bool>',
        "anneal the learning rate linearly to 0 (annealLr; default: the world's)",
      ).argParser(parseBoolFlag('train', '--anneal-lr')),
    )
    .addOption(
      new Option('--num-envs <n>', "parallel env copies (numEnvs; default: the world's, 32 on the grids)").argParser(
        parseNumberFlag('train', '--num-envs', { integer: true }),
      ),
    )
    .addOption(
      new Option('--n-steps <n>', "steps per env per update (nSteps; default: the world's)").argParser(
        parseNumberFlag('train', '--n-steps', { integer: true }),
      ),
    )
    .addOption(
      new Option('--epochs <n>', 'passes over each batch (epochs; default: 4)').argParser(
        parseNumberFlag('train', '--epochs', { integer: true }),
      ),
    )
    .addOption(
      new Option('--minibatches <n>', 'minibatches per epoch (numMinibatches; default: 4)').argParser(
        parseNumberFlag('train', '--minibatches', { integer: true }),
      ),
    )
    .addOption(
      new Option('--gamma <x>', "discount γ (default: the world's, 0.99; 0.995 on frozenlake8x8)").argParser(
        parseNumberFlag('train', '--gamma'),
      ),
    )
    .addOption(
      new Option('--gae-lambda <x>', "GAE λ (gaeLambda; default: the world's)").argParser(
        parseNumberFlag('train', '--gae-lambda'),
      ),
    )
    .addOption(
      new Option(
        '--clip <x>',
        'PPO clip range ε, or START:END[:FRACTION] for a linear ramp (clipEpsilon; default: 0.2)',
      ).argParser(parseScheduleFlag('train', '--clip')),
    )
    .addOption(
      new Option(
        '--ent-coef <x>',
        "entropy bonus coefficient, or START:END[:FRACTION] for a linear ramp (entCoef; default: the world's, 0.01)",
      ).argParser(parseScheduleFlag('train', '--ent-coef')),
    )
    .addOption(
      new Option('--vf-coef <x>', 'value loss coefficient (vfCoef; default: 0.5)').argParser(
        parseNumberFlag('train', '--vf-coef'),
      ),
    )
    .addOption(
      new Option('--max-grad-norm <x>', 'global gradient-norm clip, or none (maxGradNorm; default: 0.5)').argParser(
        parseMaxGradNorm,
      ),
    )
    .addOption(
      new Option('--hidden <sizes>', 'MLP hidden layer sizes, e.g. 64,64 (policy.hidden; default: 64,64)').argParser(
        parseHidden,
      ),
    )
    .addOption(
      new Option(
        '--ref-kl <estimator>',
        'KL to the initial policy, in the reward (r − β_ref·kl, TRL PPO) or the loss: the per-step estimator (referenceKl.estimator; default: off)',
      )
        .choices([...REFERENCE_KL_ESTIMATORS])
        .argParser(parseChoice('train', '--ref-kl', [...REFERENCE_KL_ESTIMATORS])),
    )
    .addOption(
      new Option(
        '--ref-placement <where>',
        'where the reference penalty acts: the reward (TRL PPO) or the loss (GRPO) (referenceKl.placement; default: reward)',
      )
        .choices([...REFERENCE_KL_PLACEMENTS])
        .argParser(parseChoice('train', '--ref-placement', [...REFERENCE_KL_PLACEMENTS])),
    )
    .addOption(
      new Option(
        '--ref-beta <x>',
        'fixed β_ref of the reference penalty (referenceKl.controller; default: 0.1 when --ref-kl is given)',
      ).argParser(parseNumberFlag('train', '--ref-beta', { min: 0 })),
    )
    .addOption(
      new Option(
        '--engine <name>',
        'how updates run: the fused typed-array engine, tfjs ops, or auto (fused, except tfjs for --ref-placement loss) (engine; default: auto)',
      )
        .choices([...ENGINE_CHOICES])
        .argParser(parseChoice('train', '--engine', [...ENGINE_CHOICES])),
    )
    .addOption(
      new Option(
        '--eval-every <n>',
        'evaluate the greedy policy every n updates and after the last on a separate env copy (evalEvery; best.json keeps the best)',
      ).argParser(parseNumberFlag('train', '--eval-every', { integer: true, min: 1 })),
    )
    .addOption(
      new Option('--eval-episodes <k>', 'episodes per evaluation (evalEpisodes; default: 10)').argParser(
        parseNumberFlag('train', '--eval-episodes', { integer: true, min: 1 }),
      ),
    )
    .addOption(
      new Option(
        '--map <file>',
        'train on your own ASCII map (Gridworld.fromMap: S start, F/. floor, H hole, G goal, C cliff, W wall; one row per line): env gridworld',
      ),
    )
    .addOption(
      new Option(
        '--env-module <file>',
        'train on your own world: an ES module (.js/.mjs) whose default export makes the env (a function returning an Env, or an Env class)',
      ),
    )
    .addOption(
      new Option('--slippery <bool>', 'grid worlds: slip like FrozenLake (envOptions.slippery)').argParser(
        parseBoolFlag('train', '--slippery'),
      ),
    )
    .addOption(
      new Option(
        '--time-limit <n>',
        "grid worlds: episode step limit, or none (envOptions.maxEpisodeSteps; default: the world's, 100 for a --map)",
      ).argParser(parseTimeLimit),
    )
    .addOption(
      new Option(
        '--step-reward <x>',
        'grid worlds: reward of an ordinary move (envOptions.stepReward; default: 0)',
      ).argParser(parseNumberFlag('train', '--step-reward')),
    )
    .addOption(
      new Option(
        '--goal-reward <x>',
        'grid worlds: reward for entering G (envOptions.goalReward; default: 1)',
      ).argParser(parseNumberFlag('train', '--goal-reward')),
    )
    .addOption(
      new Option(
        '--hole-reward <x>',
        'grid worlds: reward for entering H (envOptions.holeReward; default: 0)',
      ).argParser(parseNumberFlag('train', '--hole-reward')),
    )
    .addOption(new Option('--config <file.json>', 'partial PpoConfig as JSON; flags override it'))
    .addOption(
      new Option('--preset <name>', 'base config under --config and flags: the quickstart, or the library defaults')
        .choices(['quickstart', 'library'])
        .argParser(parseChoice('train', '--preset', ['quickstart', 'library']))
        .default('quickstart'),
    )
    .addOption(
      new Option(
        '--out <dir>',
        `run folder (default: ${QUICKSTART_CONFIG.out} for the plain quickstart, else runs/<env>-<objective>-<seed>-<yyyymmdd-hhmmss>)`,
      ),
    )
    .addOption(new Option('--resume <dir>', 'continue the run in <dir> from its checkpoint'))
    .addOption(new Option('--force', 'replace an existing run folder').default(false))
    .addOption(
      new Option('--checkpoint-every <n>', 'write checkpoint.json every n updates (and at the end)')
        .argParser(parseNumberFlag('train', '--checkpoint-every', { integer: true, min: 1 }))
        .default(10),
    )
    .addOption(
      new Option('--json', 'print one JSON metric record per update on stdout (human output goes to stderr)').default(
        false,
      ),
    )
    .action(async (opts: TrainOpts, cmd: Command) => setCode(await runTrain(cmd, opts, io)));

  program
    .command('report')
    .description('Write a standalone report.html (inline SVG charts) for one or more runs; several runs overlay.')
    .argument('<runs...>', 'run folders')
    .addOption(
      new Option(
        '--out <file>',
        'output HTML file (default: <run>/report.html for one run, ./report.html for several)',
      ),
    )
    .addOption(new Option('--title <text>', 'page title').default('klip report'))
    .addOption(new Option('--force', 'replace an existing --out file that is not a klip report'))
    .action(async (dirs: string[], opts: { out?: string; title?: string; force?: boolean }) =>
      setCode(await runReport(dirs, opts, io)),
    );

  program
    .command('eval')
    .description(
      'Evaluate a saved run: K greedy episodes of its policy on a fresh env copy, with the exact return where the world has a table (SB3 evaluate_policy).',
    )
    .argument('<run>', 'run folder')
    .addOption(
      new Option('--episodes <k>', 'episodes to run')
        .argParser(parseNumberFlag('eval', '--episodes', { integer: true, min: 1 }))
        .default(10),
    )
    .addOption(new Option('--seed <s>', 'seed of the evaluation episodes').argParser(parseSeed).default(0))
    .addOption(new Option('--best', 'evaluate best.json (the best eval/return of training) instead of checkpoint.json'))
    .addOption(new Option('--stochastic', 'sample actions instead of taking the most likely one'))
    .addOption(new Option('--json', 'print one JSON object'))
    .action(async (dir: string, opts: EvalOpts) => setCode(await runEval(dir, opts, io)));

  program
    .command('compare')
    .description(
      'Ablation grid (PPO paper Table 1 style): objectives × KL controllers × seeds; --shard i/n runs one slice, --merge joins slices.',
    )
    .addOption(
      new Option('--env <id>', 'environment')
        .choices([...ENV_IDS])
        .argParser(parseChoice('compare', '--env', [...ENV_IDS]))
        .default('frozenlake4x4'),
    )
    .addOption(
      new Option('--objectives <list>', 'comma-separated objectives')
        .argParser(parseListFlag('compare', '--objectives', OBJECTIVES))
        .default([...OBJECTIVES], OBJECTIVES.join(',')),
    )
    .addOption(
      new Option('--controllers <list>', 'comma-separated KL controllers (for kl-penalty and clip+kl)')
        .argParser(parseListFlag('compare', '--controllers', KL_CONTROLLER_KINDS))
        .default(['adaptive'], 'adaptive'),
    )
    .addOption(
      new Option('--seeds <n|list>', 'seeds per cell: a count n (seeds 1…n) or a list, e.g. 3,7,11')
        .argParser(parseSeeds)
        .default(3),
    )
    .addOption(
      new Option('--steps <n>', 'env steps per run')
        .argParser(parseNumberFlag('compare', '--steps', { integer: true, min: 1 }))
        .default(20_480),
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend (default: from --config, else wasm)')
        .choices([...BACKENDS])
        .argParser(parseChoice('compare', '--backend', [...BACKENDS])),
    )
    .addOption(new Option('--config <file.json>', 'partial PpoConfig shared by every run'))
    .addOption(new Option('--shard <i/n>', 'run only the i-th of n deterministic slices (1-based)'))
    .addOption(new Option('--merge <dirs...>', 'join the compare.json of shard folders instead of running'))
    .addOption(
      new Option('--out <dir>', 'output folder (default: runs/compare-<env>[-shard<i>of<n>]-<yyyymmdd-hhmmss>)'),
    )
    .addOption(
      new Option(
        '--force',
        'replace an earlier klip compare folder (one with a compare.json); never a folder of other files',
      ).default(false),
    )
    .addOption(
      new Option(
        '--workers <n>',
        'worker threads running cells in parallel; 0 or 1 = in-process (default: min(available cores, cells))',
      ).argParser(parseNumberFlag('compare', '--workers', { integer: true })),
    )
    .action(async (opts: CompareOpts) => setCode(await runCompareCmd(opts, io)));

  const fd = DEFAULT_FRONTIER_INPUTS;
  program
    .command('frontier')
    .description(
      'Reward–KL frontier: train a tabular policy on the KL-regularized bandit at each β and plot E[r] against KL(π‖π_ref) beside the closed form.',
    )
    .addOption(new Option('--rewards <list>', 'reward per arm, comma-separated').default(fd.rewards.join(',')))
    .addOption(
      new Option('--ref <probs>', 'π_ref: "uniform" or comma-separated probabilities > 0 (one per arm)').default(
        'uniform',
      ),
    )
    .addOption(new Option('--betas <list>', 'KL coefficients β > 0, comma-separated').default(fd.betas.join(',')))
    .addOption(
      new Option('--mode <mode>', 'gradient: exact over the arms, or sampled (REINFORCE with the k1 reward penalty)')
        .choices(['exact', 'sampled'])
        .argParser(parseChoice('frontier', '--mode', ['exact', 'sampled']))
        .default(fd.mode),
    )
    .addOption(
      new Option('--steps <n>', 'Adam steps per β (lr 0.1)')
        .argParser(parseNumberFlag('frontier', '--steps', { integer: true, min: 1 }))
        .default(fd.steps),
    )
    .addOption(new Option('--seed <s>', 'root seed (integer or string)').argParser(parseSeed).default(fd.seed))
    .addOption(
      new Option('--backend <name>', 'tfjs backend')
        .choices([...BACKENDS])
        .argParser(parseChoice('frontier', '--backend', [...BACKENDS]))
        .default(DEFAULT_PPO_CONFIG.backend),
    )
    .addOption(new Option('--out <dir>', 'output folder (default: runs/frontier-<yyyymmdd-hhmmss>)'))
    .addOption(new Option('--force', 'replace the files of an existing folder').default(false))
    .addOption(new Option('--json', 'print frontier.json on stdout (the table goes to stderr)').default(false))
    .action(async (opts: FrontierOpts) => setCode(await runFrontierCmd(opts, io)));

  program
    .command('reproduce')
    .description(
      "Re-run a run folder's config.json (same seed and backend) and check that metrics.jsonl comes out identical, record by record (wall-clock keys excepted).",
    )
    .argument('<dir>', 'run folder')
    .addOption(
      new Option('--out <dir>', 'keep the re-run in this new folder (default: a temporary folder, removed afterwards)'),
    )
    .action(async (dir: string, opts: { out?: string }) => setCode(await runReproduce(dir, opts, io)));

  program
    .command('kl')
    .description('Forward and reverse KL, JS and TV between two categorical distributions, in nats and bits.')
    .requiredOption('--p <probs>', 'first distribution, e.g. 0.7,0.3')
    .requiredOption('--q <probs>', 'second distribution, e.g. 0.4,0.6')
    .option('--json', 'print one JSON object', false)
    .action((opts: { p: string; q: string; json?: boolean }) => setCode(runKl(opts, io)));

  program
    .command('bench')
    .description('Run the benchmarks (from a klip source checkout: npx tsx bench/index.ts [args]).')
    .argument('[args...]', 'passed to bench/index.ts (e.g. --json)')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => setCode(await runBench(args, io)));

  return program;
}

/**
 * Run the `klip` command line in-process.
 *
 * Exit codes: 0 success; 2 usage or configuration errors (unknown flag, bad value, malformed config, not a run
 * folder); 1 other errors (damaged checkpoint, runtime failure; unexpected errors also print their stack);
 * 3 (`EXIT_LOCKED`) when another klip writes the folder (its `klip.lock`), for every command that writes one;
 * 130 after Ctrl-C (a checkpoint was written; `--resume` continues).
 * @param argv Arguments after the program name, e.g. `['train', '--steps', '2048']`.
 * @param io Optional streams, working folder, abort signal and SIGINT handling (defaults: `process`).
 * @returns The exit code.
 * @example
 * ```ts
 * const code = await runCli(['kl', '--p', '0.7,0.3', '--q', '0.4,0.6']);
 * ```
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    handleSigint: io.handleSigint ?? true,
    ...(io.fs ? { fs: io.fs } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
  let code = 0;
  const program = buildProgram(full, (c) => (code = c));
  if (argv.length === 0) {
    // No command is a usage error (exit 2), not a success: say what is expected after the help.
    full.stderr.write(program.helpInformation());
    full.stderr.write(
      `klip: a command is required (${program.commands.map((c) => c.name()).join(', ')}); try klip train\n`,
    );
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof KlipError) {
      full.stderr.write(`klip: ${e.message}\n`);
      if (e instanceof FolderLockedError) return EXIT_LOCKED;
      return e instanceof ConfigError ? 2 : 1;
    }
    full.stderr.write(`klip: unexpected error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
