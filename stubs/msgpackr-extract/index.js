// msgpackr tries this optional native add-on and falls back to its JavaScript implementation when it throws.
throw new Error('msgpackr-extract native add-on is not installed');
