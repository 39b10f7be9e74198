"""OpenRTB demand partners: outside bidders that bid on the slots Shelfspace's own
campaigns left unsold, in the same decision, and the spend they report back."""
