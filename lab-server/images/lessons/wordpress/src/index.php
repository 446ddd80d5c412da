<?php
// Lab stand-in for WordPress: like a WordPress that is not installed yet, the
// front page redirects to the installer, by an absolute URL built from the
// request's Host (as WordPress's wp_guess_url does). The short body is ours:
// `curl localhost:8080/` without -L still shows what answered.
$host = $_SERVER['HTTP_HOST'] ?? 'localhost';
header('Location: http://' . $host . '/wp-admin/install.php', true, 302);
?><!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>WordPress</title></head>
<body><p>WordPress is not installed yet: <a href="/wp-admin/install.php">/wp-admin/install.php</a></p></body></html>
