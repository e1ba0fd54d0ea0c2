# Helpers shared by bench/bench.sh and bench/soak.sh (sourced).

# wait_for FILE PATTERN PID: until FILE holds PATTERN (0), PID dies or 30 s pass (1)
wait_for() {
	local file=$1 pattern=$2 pid=$3 i
	for i in $(seq 600); do
		grep -q "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
