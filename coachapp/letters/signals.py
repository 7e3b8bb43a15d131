"""What letters announce, for the features built on them (publishing) to act on.

Letters know nothing of consents or posts: publishing adds its part of the letter's page
and can refuse a draft's deletion by listening here.
"""

from blinker import Namespace

letter_signals = Namespace()

# Sent with the letter whose page is being drawn; each receiver returns a dict of extra
# values for templates/letters/detail.html (publishing: the sharing panel and its forms).
letter_page_opening = letter_signals.signal("letter-page-opening")

# Sent with a draft about to be deleted; a receiver raises LetterRefused to keep it.
draft_deleting = letter_signals.signal("draft-deleting")
