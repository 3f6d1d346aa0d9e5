"""Reddit: new submissions and comments of chosen subreddits in; comment replies out."""
