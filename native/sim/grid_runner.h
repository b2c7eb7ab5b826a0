// Runs all blocks of one launch under one schedule on the worker pool.
#pragma once

#include "block_runner.h"
#include "racecheck.h"
#include "worker_pool.h"

namespace dssim {

// Blocks are taken from a seeded Fisher-Yates shuffle of the grid, so no kernel can come to depend
// on blocks running in index order. With a RaceChecker, blocks run one at a time on one worker and
// memory is diffed after each. The first failing block stops the launch: its SimError is rethrown
// here once every worker has stopped. Adds the workers' counters to *stats.
void run_grid(WorkerPool& pool, const GridPlan& plan, RaceChecker* race, RunnerStats* stats);

}  // namespace dssim
