"""The compendium's library: notebooks stay thin and call into these modules.

Modules speak in the study's terms: profile, dataset, run, seed, epoch, sample, class, score.
Only :mod:`lib.toolkit` touches autrainer/aucurriculum internals.
"""
