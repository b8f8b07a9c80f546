"""Sending as the Chat backend would: one contract-driven async sender (`Sender`) and its sync face."""

from mockserver.traffic.sender import Sender, Verdict, send_once

__all__ = ["Sender", "Verdict", "send_once"]
