"""The only module that touches autrainer/aucurriculum: configs, commands, their classes.

Everything else in ``lib`` talks about datasets, runs and samples; this layer turns those into
the Hydra configs the toolkits read (written from the profile, never edited by hand), runs their
real command-line tools in a per-profile working folder, and instantiates their classes.
Pinned to autrainer 0.4.0 / aucurriculum 0.1.1 (see README, "Environment").

By concern: :mod:`~lib.toolkit.commands` (running the commands, the datasets they read),
:mod:`~lib.toolkit.runs` (a run's folder, kept states and trained model),
:mod:`~lib.toolkit.training_configs` (``autrainer train``'s configs and run names),
:mod:`~lib.toolkit.curriculum` (aucurriculum's scoring and curriculum training) and
:mod:`~lib.toolkit.own_data` (the dataset class a user's data is read with, named by
``_target_`` in its config). Everything the
rest of ``lib`` uses is imported here, so callers write ``toolkit.<name>`` and never depend on
where inside the layer a name lives.
"""
from __future__ import annotations

from lib.toolkit.commands import (dataset_id, download, dying_with_this_process, exclusive,
                                  experiment_dir, FEATURES, inference, load_dataset, log_mel, MEL,
                                  postprocess, preprocess, resolve_device, run_cli, runs_dir,
                                  SCORING_ENV, ToolkitError, torch_home, WAIT_FOR_LOCK_ENV,
                                  write_dataset_configs)
from lib.toolkit.runs import (aggregated_metrics, best_checkpoint, best_record_file, epoch_dir,
                              epoch_dirs, epoch_number, epoch_outputs_files, epoch_outputs_names,
                              features_file, is_finished, kept_states, load_audio, METRICS_FILE,
                              MODEL_STATE, OPTIMIZER_STATE, retain, RETENTIONS, run_labels,
                              run_split_table, RunModel, SCHEDULER_STATE, test_outputs_files,
                              test_record_file)
from lib.toolkit.training_configs import (AUGMENTATION_IDS, augmentation_parts,
                                          augmentation_pipeline, augmentation_steps, FUSED_ADAM,
                                          run_name, Settings, Source, sweep_run_name, train,
                                          write_training_config)
from lib.toolkit.curriculum import (CURRICULUM_DEV_SPLIT_SEED, curriculum_run_name,
                                    CURRICULUM_TYPES, cv_fold_steps, cv_settings, fold_model_dirs,
                                    loss_settings, pace_sizes, PACED_SCHEDULER, predefined_run_dir,
                                    predefined_settings, prediction_depth_settings,
                                    PRESENTED_COLUMN, probe_nodes, random_settings, run_settings,
                                    score, score_configs, score_id, score_run_dir, scored_files,
                                    scores_dir, teacher_settings, train_curricula, training_split,
                                    transfer_weights, write_curriculum_config, write_fold_scheduler,
                                    write_teacher_config)
