-- A record-routing stateful proxy, the least topoh needs: initial requests are record-routed
-- and relayed to their Request-URI; in-dialog requests follow their Route set.
function ksr_request_route()
  if KSR.siputils.has_totag() > 0 then
    if KSR.rr.loose_route() > 0 then
      KSR.tm.t_relay()
      return
    end
    KSR.sl.sl_send_reply(404, "Not here")
    return
  end
  if KSR.is_method("CANCEL") then
    KSR.tm.t_relay()
    return
  end
  KSR.rr.record_route()
  KSR.tm.t_relay()
end
