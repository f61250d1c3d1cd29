/*
 * mlcube.h: the legacy MLCube format (mlcube.yaml, reference section 3.7),
 * checked strictly and converted into the container_config.yaml it stands
 * for, so that the rest of the runner path (container.h, client/task.c)
 * sees one format only. It does not run anything and does not know which
 * mounts MedPerf supplies to which task: container_config_load
 * (container.h) checks that on the converted configuration.
 *
 * The rules (docs/mlcube-legacy.md):
 *   - top level: name, description, authors, platform, docker, singularity,
 *     tasks; docker.image is required and becomes a DockerImage;
 *     build_context and build_file are accepted and ignored, and so is
 *     singularity.image; platform.accelerator_count N > 0 becomes
 *     run_args.gpus N;
 *   - each task is a mapping with at most `parameters: {inputs, outputs}`;
 *     a parameter is a path relative to the workspace folder, written as a
 *     string or as {type: file|directory, default: PATH};
 *   - a parameter without a type is a directory when its path ends with
 *     '/'; otherwise an input is a file when its last component has an
 *     extension (a '.' after its first character followed by 1 to 8
 *     letters and digits, at least one a letter) and a directory when not,
 *     and an output is refused (MLCube refuses it too);
 *   - each parameter KEY is mounted at MLCUBE_IO_PREFIX/KEY (a directory)
 *     or MLCUBE_IO_PREFIX/KEY/NAME (a file, NAME being the last component
 *     of its path), and the command is [TASK, --KEY=MOUNT_PATH, ...],
 *     inputs then outputs in the file's order, as MLCube passes them.
 */
#ifndef MP_RUNNER_MLCUBE_H
#define MP_RUNNER_MLCUBE_H

#include <jansson.h>

#include "core/err.h"
#include "core/strv.h"

struct yaml_doc;

/* Where parameters are mounted inside the container. */
#define MLCUBE_IO_PREFIX "/mlcube_io"

/*
 * 1 when root (parsed from path; path may be NULL) is a legacy MLCube
 * file: a mapping without `container_type` that is named mlcube.yaml, or
 * has a top-level docker, platform or singularity key, or a task with
 * `parameters`. 0 otherwise.
 */
int mlcube_detect(const char *path, const json_t *root);

/*
 * Checks mlcube (parsed from file, node positions in doc; doc may be NULL)
 * and converts it. On success *config is a new container_config object
 * (the caller owns it: json_decref). On failure *config is NULL and the
 * result is MP_EINVAL with "FILE:LINE: problem" in e (MP_ENOMEM when out
 * of memory).
 */
int mlcube_convert(const json_t *mlcube, const struct yaml_doc *doc, const char *file,
		   json_t **config, mp_errbuf *e);

/*
 * The workspace defaults of one task, as MLCube uses them when a path is
 * not given: for each parameter of task in the MLCube file at path whose
 * key is neither in keys nor in given (a NULL-terminated list, or NULL),
 * appends the key to keys and the absolute path
 * <folder of path>/workspace/<its path> to hosts. Adds nothing (and
 * returns MP_OK) when path is not a legacy MLCube file or has no such
 * task. Errors: those of reading and converting the file.
 */
int mlcube_workspace_mounts(const char *path, const char *task, const char *const *given,
			    struct strv *keys, struct strv *hosts, mp_errbuf *e);

#endif
