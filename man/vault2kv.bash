# vault2kv.bash: bash completion for the six vault2kv tools.
#
# The options come from the tool's own --help, so that the completion can
# never disagree with the tool: "  -x, --long ARG  what it does", where an
# argument in capitals is a placeholder (FILE: a file name) and words in
# lower case are the literal choices ("error|suffix", "DAYS|never").
# Installed by make install into bash-completion's completions directory,
# or sourced from ~/.bashrc.

# _vault2kv_help TOOL: its option lines, "NAME [ARG]" one a line, cached.
_vault2kv_help() {
	local var=_vault2kv_help_${1//-/_}
	if [ -z "${!var+set}" ]; then
		printf -v "$var" '%s' "$("$1" --help 2>/dev/null | awk '
		    /^options:$/ { on = 1; next }
		    on && /^$/ { exit }
		    on {
			sub(/^ +/, "")
			sub(/  .*/, "")
			# "--long[=a|b]": an optional argument, given after "=".
			if (sub(/\[=/, " "))
				sub(/\]$/, "")
			gsub(/,/, "")
			print
		    }')"
	fi
	printf '%s\n' "${!var}"
}

_vault2kv() {
	local tool=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev= help line arg= w opts=() choices=()

	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	help=$(_vault2kv_help "$tool")
	COMPREPLY=()
	# --long=VALUE: complete the value of --long.  Bash splits the words
	# at "=" (COMP_WORDBREAKS): "--long" "=" "VALUE".
	if [ "$cur" = "=" ] && [[ $prev == --* ]]; then
		cur=
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	elif [[ $cur == -* ]]; then
		while read -r line; do
			for w in $line; do
				[[ $w == -* ]] && opts+=("$w")
			done
		done <<<"$help"
		COMPREPLY=($(compgen -W "${opts[*]}" -- "$cur"))
		return 0
	fi
	# The argument of the option before, if it takes one.
	while read -r line; do
		for w in $line; do
			if [ "$w" = "$prev" ]; then
				arg=${line##* }
				[[ $arg == -* ]] && arg=
				break 2
			fi
		done
	done <<<"$help"
	[ -n "$arg" ] || return 0
	if [ "$arg" = FILE ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
	fi
	for w in ${arg//|/ }; do
		[[ $w == *[A-Z]* ]] || choices+=("$w")
	done
	COMPREPLY=($(compgen -W "${choices[*]}" -- "$cur"))
	return 0
}

complete -F _vault2kv vault-ls vault-dump kv-name kv-put kv-check kv-grant
