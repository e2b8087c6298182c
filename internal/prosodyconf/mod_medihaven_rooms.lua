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
--   * nobody holds an affiliation in them: the creator's owner affiliation
--     (which made it a moderator) is dropped as soon as the room exists,
--     and bans, memberships and reserved nicknames an older server let a
--     workstation make are cleared at the next join; nobody may change
--     the subject;
--   * no client may change them: room configuration and destruction
--     (muc#owner), affiliations and roles (muc#admin: ban, kick, voice,
--     owner, member), nickname registration and mediated invitations (the
--     room would forward the inviter's text from its own address) are
--     refused, whoever asks; so are mod_muc's ad-hoc commands "Destroy
--     Rooms" and "Set affiliation in room" for these rooms. (The clinic's
--     administrators' workstations hold prosody:admin on the VirtualHost to
--     issue invites; that role does not reach the MUC component, whose
--     administrators are only the configuration's admins list, empty on a
--     clinic's server. The refusals hold for those too.)
--   * one account sends the chat room at most 60 messages at once, then
--     one a second (below);
--   * an attribute of another namespace on a stanza to a room (a:from
--     beside the from) is removed, and private messages through the
--     room are not relayed (below);
--   * a destroyed room's tombstone (Prosody 0.12 answers "gone" for 31
--     days), left by an older server, is removed when the module loads.
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
	set(room:set_changesubject(false));
	-- No owners, admins, members, outcasts or reserved nicknames. Collected
	-- first: set_affiliation changes the table being walked.
	local affiliated = {};
	for jid in room:each_affiliation() do
		affiliated[#affiliated + 1] = jid;
	end
	for _, jid in ipairs(affiliated) do
		room:set_affiliation(true, jid, "none");
		changed = true;
	end
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

-- After Prosody's defaults (priority 1) and the creator's owner
-- affiliation (-1), before the creator's role is decided from it and
-- before the room is tracked (-1000).
module:hook("muc-room-pre-create", function(event)
	local want = rules(event.room.jid);
	if want then
		pin(event.room, want);
	end
end, -2);

-- The creator: Prosody made it the owner while creating the room.
module:hook("muc-room-created", function(event)
	local want = rules(event.room.jid);
	if want and pin(event.room, want) then
		event.room:save(true);
	end
end, 10);

module:hook("muc-occupant-pre-join", function(event)
	local room = event.room;
	local want = rules(room.jid);
	if not want then
		return;
	end
	if pin(room, want) then
		module:log("info", "%s: configuration set again", room.jid);
		room:save(true);
	end
	-- The joiner's role was decided before this event, from an
	-- affiliation pin may just have cleared.
	local occupant = event.occupant;
	if occupant then
		occupant.role = room:get_default_role(room:get_affiliation(occupant.bare_jid));
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

module:hook("muc-pre-invite", function(event)
	if rules(event.room.jid) then
		event.origin.send(st.error_reply(event.stanza, "cancel", "not-allowed",
			"The clinic's rooms are configured by its server; they forward no invitations"));
		return true;
	end
end, 10);

-- mod_muc's administrators' ad-hoc commands act on rooms directly; both
-- name the room in their form. Refused outright when a clinic room is
-- named (or the form cannot be read).
local admin_commands = {
	["http://prosody.im/protocol/muc#destroy"] = true;
	["http://prosody.im/protocol/muc#set-affiliation"] = true;
};
module:hook("iq-set/host/http://jabber.org/protocol/commands:command", function(event)
	local stanza = event.stanza;
	local command = stanza.tags[1];
	if not admin_commands[command.attr.node] then
		return nil;
	end
	local form = command:get_child("x", "jabber:x:data");
	local names_clinic_room = form == nil;
	if form then
		for field in form:childtags("field") do
			for value in field:childtags("value") do
				if rules(jid_bare(value:get_text() or "")) then
					names_clinic_room = true;
				end
			end
		end
	end
	if names_clinic_room then
		event.origin.send(st.error_reply(stanza, "cancel", "not-allowed",
			"The clinic's rooms are configured by its server; no command may change them"));
		return true;
	end
end, 10);

-- A stanza's from is the room's word: an attribute of another namespace
-- that an occupant writes beside it (a:from, xml:from, a:type) is passed
-- on by Prosody, and a workstation older than session 20 read it as the
-- from (encoding/xml matches an attribute's local name alone, the last
-- one winning): a presence naming a colleague's room address took it,
-- and her sync announcements were refused everywhere (h-sec20c). Such
-- attributes are removed from whatever reaches the service's rooms.
-- (Prosody keeps xml:lang apart, under "xml:lang".)
local function strip_namespaced_attributes(event)
	local attr = event.stanza.attr;
	for name in pairs(attr) do
		if name:find("\1", 1, true) then
			attr[name] = nil; -- clearing a field while walking is allowed
		end
	end
end
for _, kind in ipairs({ "presence/full", "presence/bare", "message/full", "message/bare", "iq/full", "iq/bare" }) do
	module:hook(kind, strip_namespaced_attributes, 1000);
end

-- A private message through a clinic room (to an occupant's room
-- address) would reach its colleague from the sender's room address,
-- naming no account, and Medihaven sends none: not relayed (h-sec20c).
module:hook("muc-private-message", function(event)
	if rules(event.room.jid) then
		module:log("debug", "%s: a private message through the room not relayed", event.room.jid);
		return false;
	end
end, 10);

-- The chat room's archive keeps the newest messages only (the server's
-- storage_archive_item_limit, 10,000), and new workstations recover staff
-- chat from it: one modified workstation sending as fast as its connection
-- allows (hundreds a second) would push every colleague's messages out of
-- it within a minute. So an account may send clinic@ at most chat_burst
-- messages at once, then one every chat_period / chat_burst seconds; a
-- message over that is refused (wait, policy-violation), and the
-- workstation keeps it queued and sends it again at its next connection.
-- The sync room is not limited (its announcements are not archived).
local throttle = require "util.throttle";
local chat_burst, chat_period = 60, 60;
local senders = {}; -- bare JID → throttle; the server's own accounts only
module:hook("muc-occupant-groupchat", function(event)
	local room = event.room;
	if jid_split(room.jid) ~= "clinic" then
		return nil;
	end
	local who = jid_bare(event.from or event.stanza.attr.from or "");
	local t = senders[who];
	if not t then
		t = throttle.create(chat_burst, chat_period);
		senders[who] = t;
	end
	if t:poll(1) then
		return nil;
	end
	event.origin.send(st.error_reply(event.stanza, "wait", "policy-violation",
		"Too many messages to the clinic room at once: wait a minute"));
	return true;
end, 20);

-- Tombstones of the clinic's rooms, from an older server.
local muc = module:depends("muc");
local function remove_tombstones()
	for node in pairs(pinned) do
		local room = muc.get_room_from_jid(node .. "@" .. module.host);
		if room and room._data.destroyed then
			module:log("info", "%s: removing the tombstone an older server kept", room.jid);
			muc.delete_room(room);
			muc.forget_room(room);
		end
	end
end
local function try_remove_tombstones()
	local ok, err = pcall(remove_tombstones);
	if not ok then
		module:log("error", "could not remove the clinic rooms' tombstones: %s", err);
	end
end
try_remove_tombstones(); -- loaded into a running server, or at start
module:hook_global("server-started", try_remove_tombstones);
