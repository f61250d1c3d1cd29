/* cmd_seg.c: (being written) */
#include <stdio.h>
#include "metrics/metrics.h"
int cmd_segmentation(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "medperf-metrics %s: not built yet\n", argv[0]);
	return 1;
}
