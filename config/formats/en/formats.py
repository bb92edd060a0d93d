"""English screens keep the Danish date and number style: the data (Danish addresses,
amounts in kroner) is Danish whichever language the labels are in."""

from config.formats.da.formats import *  # noqa: F403
