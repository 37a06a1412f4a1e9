import type { Command } from 'commander';
import { UsageError } from './usage-error.js';

/** Every command path ("" for the root, "clusters ls", …) with its subcommands and options. */
function table(cmd: Command, path: string[] = [], out: { path: string; words: string[] }[] = []) {
  const words = [
    ...cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]),
    ...cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x))),
    '--help',
  ];
  out.push({ path: path.join(' '), words });
  for (const sub of cmd.commands) {
    for (const name of [sub.name(), ...sub.aliases()]) table(sub, [...path, name], out);
  }
  return out;
}

/**
 * A completion script generated from the command tree: it walks the words typed so far down the
 * tree and offers the subcommands and options of the command reached.
 */
export function completionScript(root: Command, shell: string): string {
  if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`unknown shell "${shell}": use bash or zsh`);
  const rows = table(root);
  const cases = rows.map((r) => `    "${r.path}") words="${r.words.join(' ')}" ;;`).join('\n');
  const known = rows.map((r) => r.path).filter(Boolean);
  const bash = `# corral completion for ${shell}
_corral() {
  local cur path w i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " ${known.map((k) => `|${k}|`).join(' ')} " in
      *" |\${path:+$path }$w| "*) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
`;
  if (shell === 'bash') return `${bash}complete -o default -F _corral corral\n`;
  return `#compdef corral\nautoload -U +X bashcompinit && bashcompinit\n${bash}complete -o default -F _corral corral\n`;
}
