-- mod_medihaven_rooms: the clinic's two rooms belong to its server, not to
-- the first workstation that joins them. Written by `medihaven server` into
-- the server folder (and by the tests' Prosody); it is rewritten on every
-- start, so do not edit it. Load it on the MUC component.
--
-- In Prosody 0.12 the account that creates a room owns it, and an owner may
-- reconfigure it (hide real JIDs: every workstation then refuses every
-- sync announcement, and sync stops), make it members-only or give it a
-- password (everyone else is kept out), ban or kick workstations, turn its
-- archive on or off, or destroy it. Any member's modified workstation can
-- be that first account. So for sync@ and clinic@:
--
--   * their configuration is set here, when they are created and again
--     whenever someone joins (which also mends a room an older server let
--     a workstation configure): persistent, not listed, open to the
--     server's accounts (only they can reach it: no federation, accounts by
--     invite), real JIDs shown to every occupant, not moderated, no
--     password, presence broadcast for every role; clinic@ keeps its
--     archive (staff chat is recovered from it), sync@ keeps none (nobody
--     reads it back);
--   * no client may change them: room configuration and destruction
--     (muc#owner), affiliations and roles (muc#admin: ban, kick, voice,
--     owner, member) and nickname registration are refused, whoever asks,
--     Prosody's administrators included (the clinic's administrators'
--     workstations hold that role to issue invites, not to run rooms).
--
-- Other rooms on the service are left to Prosody's defaults.

local st = require "util.stanza";
local jid_split = require "util.jid".split;
local jid_bare = require "util.jid".bare;

local pinned = {
	sync = { archiving = false };
	clinic = { archiving = true };
};

local function rules(room_jid)
	local node, host = jid_split(room_jid);
	if host ~= module.host or not node then
		return nil;
	end
	return pinned[node];
end

-- pin sets a clinic room's configuration; it reports whether anything
-- changed.
local function pin(room, want)
	local changed = false;
	local function set(ok)
		changed = changed or ok;
	end
	set(room:set_persistent(true));
	set(room:set_hidden(true));
	set(room:set_members_only(false));
	set(room:set_allow_member_invites(false));
	set(room:set_moderated(false));
	set(room:set_password(nil));
	set(room:set_whois("anyone"));
	if room._data.presence_broadcast ~= nil then
		room._data.presence_broadcast = nil; -- Prosody's default: every role
		changed = true;
	end
	if room._data.archiving ~= want.archiving then
		room._data.archiving = want.archiving; -- mod_muc_mam's setting
		changed = true;
	end
	return changed;
end

-- After Prosody's defaults (priority 1), before the room is tracked.
module:hook("muc-room-pre-create", function(event)
	local want = rules(event.room.jid);
	if want then
		pin(event.room, want);
	end
end, -1);

module:hook("muc-occupant-pre-join", function(event)
	local want = rules(event.room.jid);
	if want and pin(event.room, want) then
		module:log("info", "%s: configuration set again", event.room.jid);
		event.room:save(true);
	end
end, 10);

local function refuse(event)
	local stanza = event.stanza;
	if not rules(jid_bare(stanza.attr.to)) then
		return nil;
	end
	if stanza.attr.type == "get" then
		return nil; -- reading the configuration or a list is harmless
	end
	event.origin.send(st.error_reply(stanza, "cancel", "not-allowed",
		"The clinic's rooms are configured by its server; no workstation may change them"));
	return true;
end

-- Before mod_muc's own handlers (priority -2).
module:hook("iq-set/bare/http://jabber.org/protocol/muc#owner:query", refuse, 10);
module:hook("iq-set/bare/http://jabber.org/protocol/muc#admin:query", refuse, 10);
module:hook("iq/bare/jabber:iq:register:query", refuse, 10);
