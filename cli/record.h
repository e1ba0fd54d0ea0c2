/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef LS_RECORD_H
#define LS_RECORD_H

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);

#endif
