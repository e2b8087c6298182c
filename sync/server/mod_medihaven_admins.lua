-- mod_medihaven_admins: an administrator of this server makes another of
-- its accounts an administrator, or no longer one, and ends the accounts
-- of revoked members' workstations. Written by `medihaven
-- server` into the server folder; it is rewritten on every start, so do
-- not edit it.
--
-- Prosody 0.12 lets only accounts with the role prosody:admin create
-- account invites (mod_invites_adhoc, urn:xmpp:invite#create-account), and
-- has no way for one to give that role to another over XMPP. The clinic's
-- first administrator's workstation gets the role from the server's own
-- invite (`medihaven server invite --admin`); with this command an
-- administrator's workstation gives it to the workstations of the members
-- the clinic's directory says are administrators, and takes it from the
-- others (revoked, or another role), so any active administrator of the
-- clinic can issue registration tokens and nobody else can.
--
-- Ad-hoc command urn:medihaven:admins#set (XEP-0050), for administrators
-- only, executed in one step with a submitted form: field "account" (a
-- bare JID of this host with an account) and field "admin" (boolean).
-- Prosody ends the sessions of an account whose roles change, so that
-- account's workstation reconnects once (its sync does that by itself).
--
-- Ad-hoc command urn:medihaven:admins#remove, for administrators only,
-- executed in one step with a submitted form: field "account" (a bare JID
-- of this host). It deletes the account (usermanager.delete_user), which
-- an administrator's workstation asks for every device of a member the
-- clinic revoked: Prosody 0.12's mod_c2s ends the account's live sessions
-- on the user-deleted event ("Account deleted"), so the workstation is out
-- of the rooms at once and cannot log in again. An account already gone
-- is completed (the workstations ask again after a restart); an account
-- with the administrator role is refused (not-allowed): take the role
-- first (#set), so that one administrator cannot end another's account by
-- mistake or on purpose while the clinic's directory still names her one.

local usermanager = require "core.usermanager";
local dataforms = require "util.dataforms";
local jid = require "util.jid";
local adhoc_new = module:require "adhoc".new;

local set_form = dataforms.new {
	{ name = "FORM_TYPE"; type = "hidden"; value = "urn:medihaven:admins" };
	{ name = "account"; type = "jid-single"; required = true };
	{ name = "admin"; type = "boolean"; required = true };
};

local function refuse(condition, text)
	return { status = "error"; error = { type = condition == "bad-request" and "modify" or "cancel"; condition = condition; text = text } };
end

-- local_account splits a bare JID of this host into user and host; nil for
-- anything else.
local function local_account(address)
	local user, host, resource = jid.split(jid.prep(address or "") or "");
	if not user or host ~= module.host or resource then
		return nil;
	end
	return user, host;
end

-- submitted reads the form submitted with a command: its fields and the
-- account it names (user, host), or, as a fourth value, the refusal to
-- answer with.
local function submitted(form, data)
	if not data.form then
		return nil, nil, nil, refuse("bad-request", "submit the form with the command");
	end
	local fields, err = form:data(data.form);
	if err then
		return nil, nil, nil, refuse("bad-request", "the form is incomplete");
	end
	local user, host = local_account(fields.account);
	if not user then
		return nil, nil, nil, refuse("bad-request", "not an account of this server");
	end
	return fields, user, host;
end

local function set_admin(_, data)
	local fields, user, host, refusal = submitted(set_form, data);
	if refusal then
		return refusal;
	end
	if not usermanager.user_exists(user, host) then
		return refuse("item-not-found", "no such account");
	end
	local account = user .. "@" .. host;
	local roles = {};
	for role, on in pairs(usermanager.get_roles(account, host) or {}) do
		roles[role] = on;
	end
	if (roles["prosody:admin"] or false) == (fields.admin or false) then
		-- Nothing to change. Setting roles disconnects the account's
		-- sessions (mod_c2s, "Roles changed"), so it is done only for a
		-- change.
		return { status = "completed" };
	end
	roles["prosody:admin"] = fields.admin or nil;
	local ok, serr = usermanager.set_roles(account, host, roles);
	if not ok then
		module:log("error", "Could not set the roles of %s: %s", account, serr);
		return refuse("internal-server-error", "the role could not be stored");
	end
	module:log("info", "%s made %s %s", jid.bare(data.from), account,
		fields.admin and "an administrator" or "no longer an administrator");
	return { status = "completed" };
end

local remove_form = dataforms.new {
	{ name = "FORM_TYPE"; type = "hidden"; value = "urn:medihaven:admins" };
	{ name = "account"; type = "jid-single"; required = true };
};

-- The workstations' Kubo API secret. Every member's workstation holds it
-- (it reaches block/put, add, block/get and cat of the clinic's Kubo
-- node); a revoked member's workstation would keep it. When this module
-- ends an account it asks `medihaven server run`, which supervises Kubo,
-- for a new one: a line in the request file of the server folder
-- (medihaven_server_dir), which the server reads, acts on and removes.
-- The workstations left ask for the new secret with the command
-- urn:medihaven:kubo#secret, which answers every account of this host
-- (only accounts made with a clinic invite exist; a revoked member's are
-- deleted before the secret changes).
local server_dir = module:get_option_string("medihaven_server_dir");
local secret_file = server_dir and (server_dir .. "/kubo-api-secret");
local rotate_file = server_dir and (server_dir .. "/kubo-rotate-request");

local function request_new_kubo_secret(account)
	if not rotate_file then
		module:log("warn", "No medihaven_server_dir: the Kubo API secret stays the same after ending %s", account);
		return;
	end
	local f, err = io.open(rotate_file, "a");
	if not f then
		module:log("error", "Could not ask for a new Kubo API secret after ending %s: %s", account, err);
		return;
	end
	f:write(account, " ", os.date("!%Y-%m-%dT%H:%M:%SZ"), "\n");
	f:close();
end

local secret_form = dataforms.new {
	{ name = "FORM_TYPE"; type = "hidden"; value = "urn:medihaven:kubo" };
	{ name = "secret"; type = "text-private" };
};

local function kubo_secret(_, data)
	local f = secret_file and io.open(secret_file, "r");
	if not f then
		return refuse("internal-server-error", "the server keeps no Kubo API secret");
	end
	local secret = (f:read("*a") or ""):gsub("%s+$", "");
	f:close();
	if secret == "" then
		return refuse("internal-server-error", "the server keeps no Kubo API secret");
	end
	return { status = "completed"; result = { layout = secret_form; values = { secret = secret } } };
end

local function remove_account(_, data)
	local _, user, host, refusal = submitted(remove_form, data);
	if refusal then
		return refusal;
	end
	local account = user .. "@" .. host;
	if not usermanager.user_exists(user, host) then
		return { status = "completed" }; -- gone already: asked again after a restart
	end
	if usermanager.is_admin(account, host) then
		return refuse("not-allowed", "the account is an administrator of this server: take that role from it first (urn:medihaven:admins#set)");
	end
	local ok, derr = usermanager.delete_user(user, host);
	if not ok and usermanager.user_exists(user, host) then
		module:log("error", "Could not delete the account %s: %s", account, derr);
		return refuse("internal-server-error", "the account could not be deleted");
	end
	-- mod_c2s has closed the account's sessions on user-deleted.
	module:log("info", "%s ended the account %s (a revoked member's workstation)", jid.bare(data.from), account);
	request_new_kubo_secret(account);
	return { status = "completed" };
end

-- Ad-hoc command urn:medihaven:admins#uninvite, for administrators only:
-- field "invite", the preauth token of an account invite this server made
-- (urn:xmpp:invite#create-account), which it forgets, so nobody makes an
-- account with it. The clinic's registration token carrying it was
-- revoked, or expired before its 7-day invite: an account made with it
-- would write no request to join, so no upkeep would end it, and any
-- account of this server reads the Kubo API secret (h-sec20d, S20d-2).
-- An invite used or gone already is not an error.
local invites = module:depends("invites");

local uninvite_form = dataforms.new {
	{ name = "FORM_TYPE"; type = "hidden"; value = "urn:medihaven:admins" };
	{ name = "invite"; type = "text-single"; required = true };
};

local function uninvite(_, data)
	if not data.form then
		return refuse("bad-request", "submit the form with the command");
	end
	local fields, err = uninvite_form:data(data.form);
	if err or not fields.invite or fields.invite == "" then
		return refuse("bad-request", "the form is incomplete");
	end
	if invites.get_account_invite_info and not invites.get_account_invite_info(fields.invite) then
		return { status = "completed" }; -- used, expired or cancelled already
	end
	local ok, derr = invites.delete_account_invite(fields.invite);
	if not ok then
		module:log("error", "Could not cancel an account invite: %s", derr);
		return refuse("internal-server-error", "the invite could not be cancelled");
	end
	module:log("info", "%s cancelled an account invite (its registration token was revoked or expired)", jid.bare(data.from));
	return { status = "completed" };
end

module:depends("adhoc");
module:provides("adhoc", adhoc_new("Make an account an administrator, or not", "urn:medihaven:admins#set", set_admin, "admin"));
module:provides("adhoc", adhoc_new("End a revoked member's account", "urn:medihaven:admins#remove", remove_account, "admin"));
module:provides("adhoc", adhoc_new("Cancel an account invite", "urn:medihaven:admins#uninvite", uninvite, "admin"));
module:provides("adhoc", adhoc_new("The workstations' Kubo API secret", "urn:medihaven:kubo#secret", kubo_secret, "local_user"));

-- A delay (XEP-0203) in this server's name is the server's word: Prosody's
-- mod_offline adds one when it hands over a message it kept for an account
-- that was offline, and workstations date such a one-to-one message by it
-- (they never believe a time the sender wrote). A client may write one
-- into a live message as well, to backdate it: a delay in this host's name
-- that a client of this host sends is removed before the message is
-- routed, so the only one left is the server's own.
--
-- A stanza's from is the server's word too: an attribute of another
-- namespace a client writes beside it (a:from, xml:from, a:type), or on
-- the delay (b:from), is passed on by Prosody, and a workstation older
-- than session 20 read it as the from (encoding/xml matches an
-- attribute's local name alone, the last one winning): it named another
-- account as the sender, or backdated the message (h-sec20c). Such
-- attributes are removed from the stanza itself, and a delay with any
-- from in this host's name goes. (Prosody keeps xml:lang apart, under
-- "xml:lang".)
local function namespaced(name)
	return name:find("\1", 1, true) ~= nil;
end
local function names_us(tag)
	for name, value in pairs(tag.attr) do
		if value == module.host and (name == "from" or (namespaced(name) and name:match("\1from$"))) then
			return true;
		end
	end
	return false;
end
local function strip_namespaced_attributes(event)
	local attr = event.stanza.attr;
	for name in pairs(attr) do
		if namespaced(name) then
			attr[name] = nil; -- clearing a field while walking is allowed
		end
	end
end
local function strip_our_delays(event)
	strip_namespaced_attributes(event);
	event.stanza:maptags(function(tag)
		if tag.name == "delay" and tag.attr.xmlns == "urn:xmpp:delay" and names_us(tag) then
			return nil;
		end
		return tag;
	end);
end
for _, kind in ipairs({ "bare", "full", "host" }) do
	module:hook("pre-message/" .. kind, strip_our_delays, 1000);
	module:hook("pre-presence/" .. kind, strip_namespaced_attributes, 1000);
	module:hook("pre-iq/" .. kind, strip_namespaced_attributes, 1000);
end
