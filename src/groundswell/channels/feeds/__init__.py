"""RSS and Atom feeds (review sites, blogs, news): listen only, with conditional GET."""
