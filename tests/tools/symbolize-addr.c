/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolize-addr PID ADDR...: names user addresses of a live process with
 * loopscope's symbolizer, one line each: "ADDR NAME+OFF MAPPING" or
 * "ADDR ? MAPPING", then the symbolizer's hint, if any, as "# hint: ...".
 * For the symbolizer's integration tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector/symbolize.h"

int main(int argc, char **argv)
{
	struct symbolizer_stats st;
	struct symbolizer *s;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: symbolize-addr PID ADDR...\n");
		return 2;
	}
	s = symbolizer__new((pid_t)atoi(argv[1]), NULL);
	if (!s) {
		perror("symbolizer__new");
		return 1;
	}
	for (i = 2; i < argc; i++) {
		struct ls_frame_info fi;
		uint64_t ip = strtoull(argv[i], NULL, 0);

		memset(&fi, 0, sizeof(fi));
		if (!symbolizer__resolve(s, ip, false, &fi) && fi.function)
			printf("%s %s+%" PRIu64 " %s\n", argv[i], fi.function, fi.offset,
			       fi.mapping ? fi.mapping : "-");
		else
			printf("%s ? %s\n", argv[i], fi.mapping ? fi.mapping : "-");
	}
	symbolizer__stats(s, &st);
	if (symbolizer__hint(&st))
		printf("# hint: %s\n", symbolizer__hint(&st));
	symbolizer__free(s);
	return 0;
}
