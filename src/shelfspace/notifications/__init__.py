"""What brands are told, in the app and by e-mail: creatives approved or rejected, budgets
and funds running low or spent, campaigns started and ended (kinds.py). Notices are made
once per event (service.py `emit`, a unique key), by the creative review (reviews.py) and a
background sweep of the campaigns' states (sweep.py, runner.py); e-mails go from an outbox
(outbox.py). Each brand person chooses per kind, in the app and by e-mail."""
