"""Domain events: one seam for every change.

Services announce what they changed with ``kontor.events.bus.emit``; subscribers (registered in
``AppConfig.ready``) react. Outbound webhooks (native and Bitrix24 ``event.bind``) are such subscribers.
"""
