#!/bin/bash
# The symbolizer on ELF files built here: PIE, non-PIE, stripped, and a
# shared object. Each program prints the runtime addresses of known
# functions and waits; symbolize-addr must name them (or, stripped of its
# .symtab, name only what .dynsym exports).
. "$(dirname "$0")/lib.sh"
SYM=$(readlink -f "$OUTPUT/tests/symbolize-addr")
CC=${CC:-cc}
cd "$TMP" || exit 1

cat > lib.c <<'C'
__attribute__((noinline)) int lib_work(int x) { return x * 3 + 1; }
C
cat > prog.c <<'C'
#include <stdio.h>
#include <unistd.h>
int lib_work(int x);
__attribute__((noinline)) static int local_helper(int x) { return x + 7; }
__attribute__((noinline)) int exported_work(int x) { return local_helper(x) * 2; }
int main(void)
{
	printf("%p %p %p\n", (void *)local_helper, (void *)exported_work, (void *)lib_work);
	fflush(stdout);
	sleep(30);
	return exported_work(1) + lib_work(2);
}
C
$CC -O2 -g -fPIC -shared -o libt.so lib.c || fail "build the shared object"

# build NAME CFLAGS...: prog-NAME linked against libt.so
build() { local n=$1; shift; $CC -O2 -g "$@" -o "prog-$n" prog.c -L. -lt -Wl,-rpath,"$TMP" -rdynamic; }
build pie -fPIE -pie
build nopie -fno-pie -no-pie
build stripped -fPIE -pie && strip "prog-stripped"
check "file says pie is a PIE" sh -c "file prog-pie | grep -q 'pie executable\|shared object'"
check "file says nopie is not" sh -c "file prog-nopie | grep -q 'LSB executable'"

# resolve NAME: starts prog-NAME, symbolizes its three addresses
resolve() {
	"./prog-$1" > "$1.addr" &
	local pid=$!
	PIDS="$PIDS $pid"
	wait_for "$1.addr" '0x' 5 || return 1
	"$SYM" "$pid" $(cat "$1.addr") > "$1.out"
	kill "$pid"
}
for v in pie nopie; do
	resolve "$v"
	check "$v: static function named from .symtab" grep -q " local_helper+0 .*prog-$v" "$v.out"
	check "$v: exported function named" grep -q " exported_work+0 .*prog-$v" "$v.out"
done
check "pie: function in the shared object named" grep -q " lib_work+0 .*libt.so" "pie.out"
# non-PIE code takes an external function's address as its PLT stub in the
# executable: no symbol covers it, and it must not borrow _init's name
check "nopie: the PLT stub is not named after _init" sh -c "! grep -q '_init+' nopie.out"
resolve stripped
check "stripped: static function unnamed" grep -qE " \? .*prog-stripped" "stripped.out"
check "stripped: exported function still named from .dynsym" grep -q " exported_work+0 " "stripped.out"
check "stripped: shared object still named" grep -q " lib_work+0 .*libt.so" "stripped.out"

finish
