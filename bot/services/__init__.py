"""What listeners and jobs both call: reports, App Home contents, calibrations, the review
cycle, privacy, CSV import and export, team information. May import store/, scoring/,
calendar/, grammar/; never handlers/ or jobs/, and no Slack wire format.
"""
