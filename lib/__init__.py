"""The compendium's library: notebooks stay thin and call into these modules.

Modules speak in the study's terms: profile, dataset, run, seed, epoch, sample, class, score.
A notebook checks its parameters once (:func:`lib.profiles.check_cell`), builds the typed
records it needs (:class:`lib.training.Ensemble`, :class:`lib.scoring.Scoring`,
:class:`lib.selection.Selection`) and passes those, never the parameter dict, into ``lib``.

The map, by layer (the notebook each module serves in brackets):

Plumbing
    ``paths``      every folder and file name of data/ and results/ (all)
    ``profiles``   SCHEMA of all parameters, the tiers smoke | demo | paper, parameters cells
    ``record``     each chapter's key numbers (``results/<profile>/<chapter>/summary.json``):
                   a class per chapter naming every key; each chapter module's
                   ``key_numbers`` builds its record
    ``run``        runs the notebooks with papermill, skips unchanged ones (``make notebooks``)
    ``dependencies`` which ``lib`` definitions a notebook runs: what re-runs it
    ``book``       stages executed notebooks and builds the Jupyter Book (``make html``)
    ``page``       tables and figures as the page shows them: worded headers, no index,
                   p as a bound, a figure described by its titles and axes
    ``disk``       the disk a profile's training needs under results/, checked before it starts
    ``browser``    looks at the built book in headless Chromium (tests, ``make check-book``)

Data
    ``audio``      reads, checks and writes audio; one-line errors naming the file
    ``datasets``   on-disk layouts as autrainer reads them, and checks of a tree
    ``groundtruth`` the kinds of hard sample a dataset marks per clip (flipped label, ...)
    ``userdata``   a user's own labelled audio: checked whole, copied into one layout
    ``userprofile`` ``make profile``: a profile for a user's own data, sized for this machine
    ``projection`` a profile's minutes on this machine, projected before anything trains
    ``speech``     speech synthesis (eSpeak NG, Piper) for the keyword set
    ``noise``      real recorded noise from package registries
    ``keywords``   the offline keyword set with its ground truth (00_data)
    ``scenes``     a tiny tree in the DCASE2020 Task 1A layout (00_data)
    ``realspeech`` real human recordings of some words, out of domain (06_inference)
    ``data``       prepares a profile's datasets and describes them (``make data``, 00_data)

Toolkit (the only contact with autrainer and aucurriculum)
    ``toolkit``    Hydra configs, the real command-line tools, their classes and files: a
                   module each for the commands, a run's folder, training configs and
                   aucurriculum's scoring and curricula
    ``models``     autrainer's Cnn10/Cnn14 under mixed precision, named by ``_target_``
    ``augmentations`` training augmentations autrainer lacks (a telephone band and
                   SpecAugment's masks on un-normalised log-mels), named by ``_target_``
    ``callbacks``  the recorder autrainer calls after each epoch, for in-training scoring
    ``schedulers`` the one-cycle schedule sized per dataset, so one command trains datasets
                   of any sizes under one config id, named by ``_target_``
    ``launchers``  Hydra's launcher plugins (basic, joblib, SLURM) and the SLURM job states

The study, a module per chapter
    ``training``   the ensemble: runs, training, metrics, learning curves (01_training)
    ``difficulty`` per-sample scores joined over runs, ranks, dynamics, how an ordering
                   depends on its runs (02_difficulty, 07_validation)
    ``scoring``    CumulativeAccuracy per run (aucurriculum or in-training) and the orderings
                   (02_difficulty)
    ``definitions`` every aucurriculum definition of difficulty on the same runs, judged on
                   the ground truth: detection, stability, agreement, cost (02b_definitions)
    ``teacher``    TransferTeacher's teacher pretrained here on other words and voices
                   (02b_definitions)
    ``hardness``   the field's other scores from the runs: AUM, EL2N, GraNd, forgetting,
                   Data Maps, VoG, Datalab's outlier check (02c_kinds)
    ``kinds``      every score against every kind of hard sample: AUROC, precision, the
                   best per kind beside H-CAT's pattern (02c_kinds)
    ``duplicates`` near-duplicates and leakage over every split: identical audio, Datalab on
                   embeddings and log-mel, the closest pairs, shared speakers (02c_kinds)
    ``selection``  easy, medium and hard samples with their Grad-CAMs (03_selection)
    ``explain``    Grad-CAM, its frequency and time profiles, faithfulness (04_explanations)
    ``classes``    class difficulty against recall (05_classes)
    ``inference``  new audio through ``autrainer inference``, real speech, its warnings
                   (06_inference)
    ``calibration`` how sure the models may be: ECE, reliability, the low-confidence
                   threshold chosen on the dev split (06_inference)
    ``validation`` the keyword set's ground truth and every score to judge against it
                   (07_validation)
    ``detection``  how well a score finds known-bad samples: AUROC and its interval, average
                   precision, precision at k (07_validation)
    ``cleanlab_baseline`` cleanlab's label issues from the network's out-of-fold
                   probabilities (CVLoss's fold models), or a model-free probe (02b, 07, 08)
    ``sweep``      the label-noise sweep: relabelled keyword sets, each with its own small
                   ensemble (07_validation)
    ``retraining`` what pruning and curricula share: a point's runs, the main ensemble's runs
                   it is compared with, the seed spread and the yardstick (08, 09)
    ``pruning``    retraining without what a rule removes: rules, pruned copies, points
                   against the unpruned runs, what was removed (08_pruning)
    ``curricula``  training with an ordering through aucurriculum: curriculum, anti- and
                   random curriculum, one end alone, late fusion, when each kind of sample
                   enters training and is fitted (09_curricula)
    ``review``     every training clip hardest first with each definition's score, cleanlab's
                   flag and the ensemble's label: the CSV to act on (10_review)
    ``summary``    every chapter's numbers beside the paper's (90_results)
    ``significance`` n and p of a correlation, intervals of a share or a mean (all)
    ``claims``     how a result is worded: each claim sized to its evidence (all prose)
    ``findings``   each chapter's opening finding from its record, "Read this first", the
                   abstract and the discussion (book): a module per part

Figures
    ``plots``      the figures of every chapter; no computation beyond drawing
    ``gallery``    the static gallery and the live explorer of selected samples (03_selection)
"""
