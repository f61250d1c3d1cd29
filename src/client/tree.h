/*
 * tree.h: file trees and flag files in the local storage: joining paths,
 * removing and copying trees (links never followed), moving a tree into
 * place, and the empty flag files MedPerf leaves in entity folders
 * (.ready, .executed, .partial). Nothing here prints.
 */
#ifndef MP_CLIENT_TREE_H
#define MP_CLIENT_TREE_H

/* a + "/" + b, malloc'd (NULL when out of memory). */
char *path_join(const char *a, const char *b);
/* 1 when path is a folder (links followed). */
int path_is_dir(const char *path);
/* 1 when path exists (links not followed). */
int path_exists(const char *path);

/* rm -rf path: links are removed, never followed. 0, or -1 with errno (ENOENT is 0). */
int tree_remove(const char *path);
/* Copies the folder src into dst (created, 0755): folders and regular files only. */
int tree_copy(const char *src, const char *dst);
/* Moves src to dst, replacing a dst that exists (removed first). */
int tree_replace(const char *src, const char *dst);

/* The flag file dir/name: set (created empty), test, clear. */
int flag_set(const char *dir, const char *name);
int flag_get(const char *dir, const char *name);
void flag_clear(const char *dir, const char *name);

#endif
